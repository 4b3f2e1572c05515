"""Many concurrent probe/thumbnail commands through the gateway, bounded in count and in time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from soak.gateway_client import GatewayClient
from soak.retry_policy import Outcome


@dataclass
class LoadResult:
    outcomes: list[Outcome] = field(default_factory=list)
    # Seconds since the load started at which each call ended (for requests/s over time).
    finished_at: list[float] = field(default_factory=list)
    seconds: float = 0.0


class MediaLoad:
    """Runs `requests` with `concurrency` in flight; no new request starts after monotonic `until`."""

    def __init__(
        self, client: GatewayClient, requests: list[tuple[str, dict[str, Any]]], concurrency: int
    ) -> None:
        self.client = client
        self.requests = requests
        self.concurrency = concurrency
        self.started = 0
        self.finished = False
        self._changed = asyncio.Condition()

    def progress(self) -> float:
        """Share of the requests started so far; 1.0 once the load is over."""
        return 1.0 if self.finished or not self.requests else self.started / len(self.requests)

    async def reached(self, share: float) -> None:
        """Returns once `share` of the requests have been started, or the load is over."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.progress() >= share)

    async def _advance(self, started: int = 0, finished: bool = False) -> None:
        async with self._changed:
            self.started += started
            self.finished = self.finished or finished
            self._changed.notify_all()

    async def run(self, until: float) -> LoadResult:
        result = LoadResult()
        pending = iter(self.requests)
        began = time.monotonic()

        async def worker() -> None:
            for command, args in pending:
                if time.monotonic() >= until:
                    return
                await self._advance(started=1)
                outcome = await self.client.invoke(command, args)
                result.outcomes.append(outcome)
                result.finished_at.append(time.monotonic() - began)

        try:
            await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        finally:
            await self._advance(finished=True)
        result.seconds = time.monotonic() - began
        return result
