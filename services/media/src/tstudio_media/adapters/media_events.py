"""The events the media service publishes, as `tstudio.events.v1.Event` envelopes on the bus."""

from __future__ import annotations

import logging

from svckit.bus import EventBus
from svckit.events import new_event, subject
from tstudio.common.v1 import common_pb2
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2

log = logging.getLogger(__name__)

SOURCE = "media"


class MediaEvents:
    """Publishes and never fails the caller: an event that cannot go out is logged, since the RPC
    that caused it has already done its work and its caller has the result."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def probe_completed(self, probe_id: str, info: media_pb2.MediaInfo) -> None:
        subject_name = subject(SOURCE, "probe", probe_id, "completed")
        payload = events_pb2.ProbeCompleted(probe_id=probe_id, info=info)
        await self._publish(subject_name, new_event(SOURCE, subject_name, probe_completed=payload))

    async def job_progress(self, entity: str, job_id: str, progress: common_pb2.Progress) -> None:
        """`tstudio.media.<entity>.<id>.progress`, entity "scan" or "proxy"."""
        subject_name = subject(SOURCE, entity, job_id, "progress")
        payload = events_pb2.JobProgress(job_id=job_id, progress=progress)
        await self._publish(subject_name, new_event(SOURCE, subject_name, progress=payload))

    async def job_completed(
        self, entity: str, job_id: str, output_path: str, wall_seconds: float, attributes: dict[str, str]
    ) -> None:
        subject_name = subject(SOURCE, entity, job_id, "completed")
        payload = events_pb2.JobCompleted(
            job_id=job_id, output_path=output_path, wall_seconds=wall_seconds, attributes=attributes
        )
        await self._publish(subject_name, new_event(SOURCE, subject_name, completed=payload))

    async def job_failed(self, entity: str, job_id: str, code: str, error: str, cancelled: bool) -> None:
        subject_name = subject(SOURCE, entity, job_id, "failed")
        payload = events_pb2.JobFailed(job_id=job_id, error=error, code=code, cancelled=cancelled)
        await self._publish(subject_name, new_event(SOURCE, subject_name, failed=payload))

    async def _publish(self, subject_name: str, event: events_pb2.Event) -> None:
        try:
            await self._bus.publish(subject_name, event)
        except Exception:
            log.warning("could not publish %s", subject_name, exc_info=True)
