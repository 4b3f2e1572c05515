"""The events the media service publishes, as `tstudio.events.v1.Event` envelopes on the bus."""

from __future__ import annotations

import logging

from svckit.bus import EventBus
from svckit.events import new_event, subject
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

    async def _publish(self, subject_name: str, event: events_pb2.Event) -> None:
        try:
            await self._bus.publish(subject_name, event)
        except Exception:
            log.warning("could not publish %s", subject_name, exc_info=True)
