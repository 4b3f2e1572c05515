"""Job progress and completion on the event bus: `tstudio.compiler.render.<job>.progress|completed|failed`."""

from __future__ import annotations

import logging

from svckit.bus import EventBus
from svckit.events import new_event, subject
from tstudio.events.v1 import events_pb2

from tstudio_compiler.api.convert import progress_to_proto
from tstudio_compiler.domain.jobs import JobObserver, JobStatus, JobView

log = logging.getLogger(__name__)


class RenderEvents(JobObserver):
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def progress(self, job: JobView) -> None:
        name = subject("compiler", "render", job.id, "progress")
        payload = events_pb2.JobProgress(job_id=job.id, progress=progress_to_proto(job.progress))
        await self._publish(name, progress=payload)

    async def finished(self, job: JobView) -> None:
        if job.status is JobStatus.SUCCEEDED and job.result is not None:
            name = subject("compiler", "render", job.id, "completed")
            attributes = {"frames": str(job.result.frames), "video_encoder": job.result.video_encoder}
            if job.result.fallback_reason:
                attributes["hardware_fallback_reason"] = job.result.fallback_reason
            payload = events_pb2.JobCompleted(
                job_id=job.id,
                output_path=job.output_path,
                wall_seconds=job.result.wall_seconds,
                attributes=attributes,
            )
            await self._publish(name, completed=payload)
        else:
            name = subject("compiler", "render", job.id, "failed")
            failed = events_pb2.JobFailed(
                job_id=job.id,
                error=job.error,
                code=job.error_code,
                cancelled=job.status is JobStatus.CANCELLED,
            )
            await self._publish(name, failed=failed)

    async def _publish(self, name: str, **payload: object) -> None:
        try:
            await self._bus.publish(name, new_event("compiler", name, **payload))
        except Exception:
            # A bus outage must not fail renders; progress is also on the RPC stream.
            log.warning("could not publish %s", name, exc_info=True)
        else:
            log.debug("published %s", name)
