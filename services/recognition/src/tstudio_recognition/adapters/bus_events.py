"""Analysis job events on the event bus: `tstudio.recognition.analysis.<id>.progress|completed|failed`."""

from __future__ import annotations

import asyncio
import logging

from svckit.bus import EventBus
from svckit.errors import ServiceError
from svckit.events import new_event, subject
from tstudio.common.v1 import common_pb2
from tstudio.events.v1 import events_pb2

from tstudio_recognition.domain.analysis import AnalysisResult, ProgressUpdate

log = logging.getLogger(__name__)

SERVICE = "recognition"


class BusJobEvents:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def _publish(self, analysis_id: str, name: str, **payload: object) -> None:
        subj = subject(SERVICE, "analysis", analysis_id, name)
        try:
            await self._bus.publish(subj, new_event(SERVICE, subj, **payload))
        except Exception:  # events are best effort; the analysis itself must not fail for them
            log.warning("could not publish %s", subj, exc_info=True)

    async def progress(self, analysis_id: str, update: ProgressUpdate) -> None:
        progress = common_pb2.Progress(
            stage=common_pb2.STAGE_RUNNING,
            percent=100.0 * update.done / max(update.total, 1),
            done=update.done,
            total=update.total,
            rate=update.rate,
            eta_seconds=update.eta_seconds,
        )
        await self._publish(
            analysis_id, "progress", progress=events_pb2.JobProgress(job_id=analysis_id, progress=progress)
        )

    async def completed(self, analysis_id: str, result: AnalysisResult) -> None:
        summary = result.summary
        attributes = {
            "frames_analyzed": str(summary.frames_analyzed),
            "segments": str(len(summary.segments)),
            "shots": str(len(summary.shots)),
            "cached": "true" if result.cached else "false",
        }
        await self._publish(
            analysis_id,
            "completed",
            completed=events_pb2.JobCompleted(
                job_id=analysis_id, wall_seconds=result.wall_seconds, attributes=attributes
            ),
        )

    async def failed(self, analysis_id: str, error: BaseException) -> None:
        cancelled = isinstance(error, asyncio.CancelledError)
        if isinstance(error, ServiceError):
            message, code = error.message, error.code.name
        else:
            message, code = ("cancelled", "CANCELLED") if cancelled else ("internal error", "INTERNAL")
        await self._publish(
            analysis_id,
            "failed",
            failed=events_pb2.JobFailed(job_id=analysis_id, error=message, code=code, cancelled=cancelled),
        )
