"""This replica's render workers on the distributed queue, started and stopped with the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue
from tstudio_compiler.scale.adapters.jetstream_worker import RenderWorker

log = logging.getLogger(__name__)


class RenderWorkerPool:
    def __init__(
        self, queue: JetStreamRenderQueue, workers: list[RenderWorker], depth_every: float = 5.0
    ) -> None:
        self.queue = queue
        self.workers = workers
        self._depth_every = depth_every
        self._pending = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def pending_tasks(self) -> int:
        """Segment tasks not yet done, as last read from the stream (metrics read it synchronously)."""
        return self._pending

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(worker.run(self._stop), name=f"render-worker-{worker.worker_id}")
            for worker in self.workers
        ]
        self._tasks.append(asyncio.create_task(self._watch_depth(), name="render-queue-depth"))

    async def _watch_depth(self) -> None:
        while not self._stop.is_set():
            try:
                self._pending = await self.queue.pending_tasks()
            except Exception as exc:  # an outage shows as a stale depth, never as a crash
                log.debug("queue depth unavailable: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._depth_every)

    async def stop(self, grace: float) -> None:
        """Finish the segments in hand within `grace` seconds; what is left goes back to the queue
        (unacked, so another replica gets it after the ack wait)."""
        self._stop.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if pending:
            log.info("%d segment(s) handed back to the queue at shutdown", len(pending))
