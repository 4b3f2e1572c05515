"""Per-caller rate limits: a token bucket for each caller, refilled continuously."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from svckit.errors import QuotaViolation, ResourceExhausted


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `rate` requests a second per caller with bursts of up to `burst`.

    `rate <= 0` turns limiting off. `check` raises `ResourceExhausted` with the seconds until the
    next request would be allowed, which the HTTP layer sends as Retry-After.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, max_callers: int = 10_000
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        # Callers come from a bounded token list, but keep memory bounded anyway.
        self._max_callers = max_callers

    def check(self, caller: str) -> None:
        if self.rate <= 0:
            return
        now = self._clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= self._max_callers:
                self._forget_full_buckets(now)
            bucket = self._buckets[caller] = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        wait = (1.0 - bucket.tokens) / self.rate
        raise ResourceExhausted(
            f"rate limit of {self.rate:g} requests/s exceeded; retry in {wait:.2f}s",
            reason="RATE_LIMITED",
            quota_violations=[QuotaViolation(caller, f"{self.rate:g} requests/s, burst {self.burst}")],
            retry_after_seconds=wait,
        )

    def _forget_full_buckets(self, now: float) -> None:
        # A bucket that has refilled completely carries no state worth keeping.
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.burst:
                del self._buckets[key]
