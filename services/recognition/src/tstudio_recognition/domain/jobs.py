"""Analyses as jobs: each gets an id, its state is kept for GetRecognitionResults, and its progress
and completion go out as events. At most `max_running` analyses decode and infer at once; the rest wait."""

from __future__ import annotations

import asyncio
import logging
import time as clock
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from svckit.errors import NotFound, Resource, ServiceError

from tstudio_recognition.domain.analysis import AnalysisParams, AnalysisResult, Analyzer, ProgressUpdate
from tstudio_recognition.domain.video import VideoSource

log = logging.getLogger(__name__)

# Progress events at most this often per analysis; the gRPC stream gets every frame.
_EVENT_INTERVAL = 0.5


class JobEvents(Protocol):
    async def progress(self, analysis_id: str, update: ProgressUpdate) -> None: ...

    async def completed(self, analysis_id: str, result: AnalysisResult) -> None: ...

    async def failed(self, analysis_id: str, error: BaseException) -> None: ...


class Stage:
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class JobState:
    analysis_id: str
    stage: str = Stage.QUEUED
    last: ProgressUpdate | None = None
    result: AnalysisResult | None = None
    error: BaseException | None = None
    started: float = field(default_factory=clock.monotonic)


class AnalysisJobs:
    def __init__(self, analyzer: Analyzer, events: JobEvents, max_running: int = 2, keep: int = 200) -> None:
        self._analyzer = analyzer
        self._events = events
        self._slots = asyncio.Semaphore(max(1, max_running))
        self._keep = keep
        self._states: OrderedDict[str, JobState] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, analysis_id: str) -> JobState:
        state = self._states.get(analysis_id)
        if state is None:
            raise NotFound(
                f"no analysis {analysis_id!r}",
                reason="ANALYSIS_NOT_FOUND",
                resources=[Resource("analysis", analysis_id)],
            )
        return state

    def _new(self) -> JobState:
        state = JobState(uuid.uuid4().hex)
        self._states[state.analysis_id] = state
        while len(self._states) > self._keep:
            oldest = next(iter(self._states))
            if self._states[oldest].stage in (Stage.QUEUED, Stage.RUNNING):
                break
            self._states.popitem(last=False)
        return state

    def new_id(self) -> str:
        return self._new().analysis_id

    async def run(
        self, source: VideoSource, params: AnalysisParams, analysis_id: str | None = None
    ) -> AsyncIterator[tuple[str, ProgressUpdate | AnalysisResult]]:
        """Run one analysis, yielding its updates; its state and events follow along."""
        state = self.get(analysis_id) if analysis_id else self._new()
        last_event = 0.0
        try:
            async with self._slots:
                state.stage = Stage.RUNNING
                async for update in self._analyzer.analyze(source, params):
                    if isinstance(update, AnalysisResult):
                        state.result, state.stage = update, Stage.COMPLETED
                        await self._events.completed(state.analysis_id, update)
                    else:
                        state.last = update
                        now = clock.monotonic()
                        if now - last_event >= _EVENT_INTERVAL:
                            last_event = now
                            await self._events.progress(state.analysis_id, update)
                    yield state.analysis_id, update
        except (asyncio.CancelledError, GeneratorExit):
            state.stage = Stage.CANCELLED
            await asyncio.shield(self._events.failed(state.analysis_id, asyncio.CancelledError()))
            raise
        except BaseException as exc:
            state.stage, state.error = Stage.FAILED, exc
            if not isinstance(exc, ServiceError):
                log.exception("analysis %s failed", state.analysis_id)
            await self._events.failed(state.analysis_id, exc)
            raise

    def start(self, source: VideoSource, params: AnalysisParams) -> str:
        """Run an analysis in the background; returns its id at once."""
        analysis_id = self.new_id()

        async def consume() -> None:
            try:
                async for _ in self.run(source, params, analysis_id):
                    pass
            except Exception:  # recorded in the job state and sent as a `failed` event
                pass

        task = asyncio.create_task(consume(), name=f"analysis-{analysis_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return analysis_id

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
