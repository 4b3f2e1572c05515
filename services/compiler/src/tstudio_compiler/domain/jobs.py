"""Render jobs: a bounded queue, bounded concurrency, progress, watching and cancelling.

Pure asyncio; the work itself is a coroutine handed in by the caller (it runs the renderer in a
thread and checks the job's cancel flag every frame).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from svckit.errors import Cancelled, NotFound, ResourceExhausted, ServiceError

from tstudio_compiler.domain.ports import RenderStats

log = logging.getLogger(__name__)


class JobStatus(enum.Enum):
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILED = 4
    CANCELLED = 5

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class Stage(enum.Enum):
    QUEUED = 1
    PREPARING = 2
    RUNNING = 3
    FINALIZING = 4
    COMPLETED = 5
    FAILED = 6
    CANCELLED = 7


@dataclass(frozen=True)
class Progress:
    stage: Stage = Stage.QUEUED
    percent: float = 0.0
    done: int = 0
    total: int = 0
    # Frames per second.
    rate: float = 0.0
    # Seconds; negative when unknown.
    eta_seconds: float = -1.0
    message: str = ""


@dataclass(frozen=True)
class JobView:
    """A snapshot of a job, safe to hand out."""

    id: str
    status: JobStatus
    progress: Progress
    project_name: str
    output_path: str
    client_key: str
    created_at: datetime
    finished_at: datetime | None
    result: RenderStats | None
    error: str
    error_code: str
    # The failure's ErrorInfo reason and metadata ("PLUGIN_OUT_OF_FUEL", {"plugin_id": ...}).
    error_reason: str = ""
    error_metadata: tuple[tuple[str, str], ...] = ()


@dataclass
class _Job:
    view: JobView
    cancel: threading.Event = field(default_factory=threading.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    started: float = 0.0


# The work of one job: given a progress sink and the cancel flag, render and return the stats.
Work = Callable[[Callable[[int, int, str], None], threading.Event], Awaitable[RenderStats]]


class JobObserver:
    """Hears about job changes (the event publisher); the default hears nothing."""

    async def progress(self, job: JobView) -> None:
        return None

    async def finished(self, job: JobView) -> None:
        return None


class JobObservers(JobObserver):
    """Tells several observers (events and metrics), in order."""

    def __init__(self, *observers: JobObserver) -> None:
        self._observers = observers

    async def progress(self, job: JobView) -> None:
        for observer in self._observers:
            await observer.progress(job)

    async def finished(self, job: JobView) -> None:
        for observer in self._observers:
            await observer.finished(job)


class JobJournal(Protocol):
    """Where jobs outlive the process (SQLite in the data dir): every status change is recorded."""

    def record(self, job: JobView) -> None: ...

    def load(self) -> list[JobView]:
        """Every recorded job, oldest first."""
        ...


INTERRUPTED = "interrupted: the compiler stopped before the render finished"


class JobManager:
    def __init__(
        self,
        max_concurrent: int,
        max_queued: int,
        observer: JobObserver | None = None,
        keep_finished: int = 200,
        progress_interval: float = 0.25,
        journal: JobJournal | None = None,
    ) -> None:
        self._slots = asyncio.Semaphore(max_concurrent)
        self._capacity = max_concurrent + max_queued
        self._jobs: dict[str, _Job] = {}
        self._by_key: dict[str, str] = {}
        self._observer = observer or JobObserver()
        self._keep_finished = keep_finished
        self._progress_interval = progress_interval
        self._journal = journal
        self.interrupted = self._restore() if journal is not None else []

    def _restore(self) -> list[JobView]:
        """Jobs of an earlier process come back; those it left unfinished come back FAILED
        (interrupted). Returns those, so the caller can sweep their temp files."""
        assert self._journal is not None
        interrupted = []
        for view in self._journal.load():
            if not view.status.finished:
                view = replace(
                    view,
                    status=JobStatus.FAILED,
                    error=INTERRUPTED,
                    error_code="ABORTED",
                    error_reason="INTERRUPTED",
                    finished_at=datetime.now(UTC),
                    progress=replace(view.progress, stage=Stage.FAILED, eta_seconds=-1.0),
                )
                self._journal.record(view)
                interrupted.append(view)
            self._jobs[view.id] = _Job(view)
            if view.client_key:
                self._by_key[view.client_key] = view.id
        self._forget_old()
        return interrupted

    def submit(self, project_name: str, output_path: str, work: Work, client_key: str = "") -> JobView:
        """Queue a job; RESOURCE_EXHAUSTED when the queue is full. A known client_key gives its job."""
        if client_key and client_key in self._by_key:
            return self._jobs[self._by_key[client_key]].view
        active = self.active()
        if active >= self._capacity:
            raise ResourceExhausted(
                f"the render queue is full ({active} jobs)",
                reason="RENDER_QUEUE_FULL",
                retry_after_seconds=5.0,
            )
        view = JobView(
            id=uuid.uuid4().hex,
            status=JobStatus.QUEUED,
            progress=Progress(),
            project_name=project_name,
            output_path=output_path,
            client_key=client_key,
            created_at=datetime.now(UTC),
            finished_at=None,
            result=None,
            error="",
            error_code="",
        )
        job = _Job(view)
        if self._journal is not None:
            self._journal.record(view)
        self._jobs[view.id] = job
        if client_key:
            self._by_key[client_key] = view.id
        job.task = asyncio.create_task(self._run(job, work), name=f"render-{view.id}")
        self._forget_old()
        return view

    def get(self, job_id: str) -> JobView:
        return self._job(job_id).view

    def active(self) -> int:
        """Jobs waiting or running (the local queue's depth)."""
        return sum(1 for j in self._jobs.values() if not j.view.status.finished)

    def has(self, job_id: str) -> bool:
        return job_id in self._jobs

    def list(self, statuses: set[JobStatus] | None = None, limit: int = 0) -> list[JobView]:
        views = [j.view for j in self._jobs.values() if not statuses or j.view.status in statuses]
        views.sort(key=lambda v: v.created_at, reverse=True)
        return views[:limit] if limit > 0 else views

    async def cancel(self, job_id: str, wait: float = 2.0) -> JobView:
        """Stop the job (its output is removed) and return it once it has stopped."""
        job = self._job(job_id)
        if job.view.status.finished:
            return job.view
        job.cancel.set()
        if job.view.status is JobStatus.QUEUED and job.task is not None:
            job.task.cancel()
        try:
            async with asyncio.timeout(wait):
                while not job.view.status.finished:
                    await self._wait_change(job)
        except TimeoutError:
            log.warning("job %s still stopping after %.1fs", job_id, wait)
        return job.view

    async def watch(self, job_id: str) -> AsyncIterator[JobView]:
        """The job now, then at every change, ending with its final state."""
        job = self._job(job_id)
        while True:
            # Decide on the view that was handed out: the job may finish while the caller holds it.
            changed, view = job.changed, job.view
            yield view
            if view.status.finished:
                return
            await changed.wait()

    async def close(self) -> None:
        """Cancel everything still running (shutdown)."""
        for job in self._jobs.values():
            if not job.view.status.finished:
                job.cancel.set()
                if job.task is not None and job.view.status is JobStatus.QUEUED:
                    job.task.cancel()
        tasks = [j.task for j in self._jobs.values() if j.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _job(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no render job {job_id!r}", reason="JOB_NOT_FOUND")
        return job

    async def _wait_change(self, job: _Job) -> None:
        await job.changed.wait()

    def _update(self, job: _Job, **changes: object) -> None:
        before = job.view.status
        job.view = replace(job.view, **changes)  # type: ignore[arg-type]
        if self._journal is not None and job.view.status is not before:
            self._journal.record(job.view)
        old, job.changed = job.changed, asyncio.Event()
        old.set()

    async def _run(self, job: _Job, work: Work) -> None:
        loop = asyncio.get_running_loop()
        last_sent = [0.0]
        try:
            async with self._slots:
                if job.cancel.is_set():
                    raise Cancelled("cancelled before it started")
                job.started = time.monotonic()
                self._update(job, status=JobStatus.RUNNING, progress=Progress(Stage.PREPARING))

                def on_progress(done: int, total: int, stage: str) -> None:
                    now = time.monotonic()
                    if stage == "running" and now - last_sent[0] < self._progress_interval and done < total:
                        return
                    last_sent[0] = now
                    loop.call_soon_threadsafe(self._progress, job, done, total, stage)

                stats = await work(on_progress, job.cancel)
            self._update(
                job,
                status=JobStatus.SUCCEEDED,
                result=stats,
                output_path=stats.output_path,
                finished_at=datetime.now(UTC),
                progress=replace(
                    job.view.progress,
                    stage=Stage.COMPLETED,
                    percent=100.0,
                    done=stats.frames,
                    total=stats.frames,
                    eta_seconds=0.0,
                ),
            )
        except (Cancelled, asyncio.CancelledError):
            self._finish_failed(job, "cancelled", "CANCELLED", JobStatus.CANCELLED, Stage.CANCELLED)
        except ServiceError as exc:
            self._finish_failed(
                job,
                exc.message,
                exc.code.value,
                JobStatus.FAILED,
                Stage.FAILED,
                reason=exc.reason,
                metadata=tuple(sorted(exc.metadata.items())),
            )
        except Exception:
            log.exception("render job %s failed", job.view.id)
            self._finish_failed(job, "internal error", "INTERNAL", JobStatus.FAILED, Stage.FAILED)
        await self._observer.finished(job.view)

    def _finish_failed(
        self,
        job: _Job,
        error: str,
        code: str,
        status: JobStatus,
        stage: Stage,
        reason: str = "",
        metadata: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._update(
            job,
            status=status,
            error=error,
            error_code=code,
            error_reason=reason,
            error_metadata=metadata,
            finished_at=datetime.now(UTC),
            progress=replace(job.view.progress, stage=stage, eta_seconds=-1.0),
        )

    def _progress(self, job: _Job, done: int, total: int, stage: str) -> None:
        if job.view.status.finished:
            return
        elapsed = max(time.monotonic() - job.started, 1e-6)
        rate = done / elapsed if stage == "running" else job.view.progress.rate
        eta = (total - done) / rate if rate > 0 else -1.0
        stages = {"preparing": Stage.PREPARING, "running": Stage.RUNNING, "finalizing": Stage.FINALIZING}
        progress = Progress(
            stage=stages.get(stage, Stage.RUNNING),
            percent=100.0 * done / total if total else 0.0,
            done=done,
            total=total,
            rate=rate,
            eta_seconds=eta,
        )
        self._update(job, progress=progress)
        task = asyncio.ensure_future(self._observer.progress(job.view))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.view.status.finished]
        for job in finished[: max(0, len(finished) - self._keep_finished)]:
            self._jobs.pop(job.view.id, None)
            if job.view.client_key:
                self._by_key.pop(job.view.client_key, None)
