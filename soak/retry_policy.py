"""The client retry policy documented in docs/operations.md, as the soak clients apply it.

- UNAVAILABLE (HTTP 503 from the gateway, gRPC UNAVAILABLE, or the connection refused/reset
  while a process restarts): retry with exponential backoff and full jitter, 0.2 s doubling up
  to 5 s, for at most `budget_seconds` per call.
- RESOURCE_EXHAUSTED (HTTP 429 / gRPC RESOURCE_EXHAUSTED): documented back-pressure; wait the
  server's Retry-After (RetryInfo) and try again within the same budget.
- Anything else is final: it is the answer, and a soak run counts it by kind.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Verdict(Enum):
    OK = "ok"
    RETRY_UNAVAILABLE = "unavailable"
    RETRY_EXHAUSTED = "resource_exhausted"
    FINAL_ERROR = "error"


@dataclass(frozen=True)
class Attempt:
    """One try: how it ended, the error's kind ("HTTP 503 UNAVAILABLE", "grpc NOT_FOUND"), the body."""

    verdict: Verdict
    kind: str = "ok"
    body: Any = None
    retry_after: float | None = None


@dataclass
class Outcome:
    """One logical call: its final answer after retries, and how long it took end to end."""

    command: str
    ok: bool
    # "ok", or the final error by kind.
    kind: str
    seconds: float
    attempts: int
    retried_unavailable: int
    retried_exhausted: int
    body: Any = None


def classify_http(status: int) -> Verdict:
    if 200 <= status < 300:
        return Verdict.OK
    if status == 503:
        return Verdict.RETRY_UNAVAILABLE
    if status == 429:
        return Verdict.RETRY_EXHAUSTED
    return Verdict.FINAL_ERROR


def is_documented(kind: str) -> bool:
    """The only error a client may be left with under load: back-pressure (RESOURCE_EXHAUSTED)."""
    return "RESOURCE_EXHAUSTED" in kind


@dataclass(frozen=True)
class RetryPolicy:
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0
    budget_seconds: float = 60.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter delay before retry number `attempt` (1-based) after UNAVAILABLE."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return (rng or random).uniform(0.0, ceiling)

    def after_exhausted(self, retry_after: float | None) -> float:
        """The server's own Retry-After when it gave one, else the backoff ceiling."""
        return retry_after if retry_after and retry_after > 0 else self.max_backoff

    async def call(self, command: str, attempt: Callable[[], Awaitable[Attempt]]) -> Outcome:
        """Run `attempt` until it succeeds, fails for good, or the budget would be overrun."""
        started = time.monotonic()
        deadline = started + self.budget_seconds
        tries = unavailable = exhausted = 0
        while True:
            tries += 1
            result = await attempt()
            if result.verdict is Verdict.OK or result.verdict is Verdict.FINAL_ERROR:
                ok = result.verdict is Verdict.OK
                return Outcome(
                    command, ok, result.kind, time.monotonic() - started, tries, unavailable, exhausted,
                    result.body,
                )  # fmt: skip
            if result.verdict is Verdict.RETRY_UNAVAILABLE:
                unavailable += 1
                delay = self.backoff(unavailable)
            else:
                exhausted += 1
                delay = self.after_exhausted(result.retry_after)
            if time.monotonic() + delay > deadline:
                return Outcome(
                    command, False, f"{result.kind} (retry budget spent)", time.monotonic() - started,
                    tries, unavailable, exhausted, result.body,
                )  # fmt: skip
            await asyncio.sleep(delay)
