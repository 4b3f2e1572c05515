"""Where renders run, behind one interface: `LocalRenderJobs` renders in this process (the embedded
default, COMPILER_QUEUE=local); the JetStream adapter spreads segments over every replica
(COMPILER_QUEUE=jetstream). The servicer sees only `RenderJobs`."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from tstudio_compiler.domain.encoding import EncodeSettings
from tstudio_compiler.domain.jobs import JobManager, JobStatus, JobView
from tstudio_compiler.domain.plan import RenderPlan
from tstudio_compiler.domain.ports import Blocking, ProgressCallback, Renderer, RenderStats

# (dotted name, value, ok) items for GetDiagnostics.
DiagnosticItems = list[tuple[str, str, bool]]


@dataclass(frozen=True)
class RenderOrder:
    """A validated, planned render, ready to queue."""

    plan: RenderPlan
    encode: EncodeSettings
    project_name: str
    client_key: str = ""
    # False renders from scratch, neither reading nor writing the segment cache.
    use_cache: bool = True


class RenderJobs(Protocol):
    async def submit(self, order: RenderOrder) -> JobView:
        """Queue the render; a client key already seen gives back its job instead."""
        ...

    async def get(self, job_id: str) -> JobView: ...

    async def list(self, statuses: set[JobStatus] | None = None, limit: int = 0) -> list[JobView]: ...

    async def cancel(self, job_id: str) -> JobView: ...

    def watch(self, job_id: str) -> AsyncIterator[JobView]:
        """The job now, then at every change, ending with its final state."""
        ...

    async def close(self) -> None:
        """Stop taking work (shutdown)."""
        ...

    async def diagnostics(self) -> DiagnosticItems:
        """Items about the queue for GetDiagnostics."""
        ...


class LocalRenderJobs:
    """Renders in this process: `JobManager` schedules, the renderer works in a blocking thread."""

    def __init__(
        self, manager: JobManager, renderer: Renderer, blocking: Blocking, uncached: Renderer | None = None
    ) -> None:
        self._manager = manager
        self._renderer = renderer
        self._uncached = uncached or renderer
        self._blocking = blocking

    def knows(self, job_id: str) -> bool:
        return self._manager.has(job_id)

    async def submit(self, order: RenderOrder) -> JobView:
        renderer = self._renderer if order.use_cache else self._uncached

        async def work(progress: ProgressCallback, cancelled: threading.Event) -> RenderStats:
            return await self._blocking.run(renderer.render, order.plan, order.encode, progress, cancelled)

        return self._manager.submit(order.project_name, order.plan.output.path, work, order.client_key)

    async def get(self, job_id: str) -> JobView:
        return self._manager.get(job_id)

    async def list(self, statuses: set[JobStatus] | None = None, limit: int = 0) -> list[JobView]:
        return self._manager.list(statuses, limit)

    async def cancel(self, job_id: str) -> JobView:
        return await self._manager.cancel(job_id)

    def watch(self, job_id: str) -> AsyncIterator[JobView]:
        return self._manager.watch(job_id)

    async def close(self) -> None:
        await self._manager.close()

    async def diagnostics(self) -> DiagnosticItems:
        jobs = self._manager.list()
        running = sum(j.status is JobStatus.RUNNING for j in jobs)
        queued = sum(j.status is JobStatus.QUEUED for j in jobs)
        return [
            ("queue.kind", "local", True),
            ("jobs.running", str(running), True),
            ("jobs.queued", str(queued), True),
        ]
