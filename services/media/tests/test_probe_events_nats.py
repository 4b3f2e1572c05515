"""Integration: the Probe event reaches a real nats-server on its subject."""

from __future__ import annotations

import asyncio
from pathlib import Path

from svckit.bus import NatsBus
from svckit.testing import NatsServer
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2

from .conftest import Media, media_settings, start_media


async def test_probe_event_arrives_on_its_nats_subject(media: Media, tmp_path: Path) -> None:
    async with NatsServer() as nats:
        service_bus = await NatsBus.connect(nats.url, name="media")
        listener = await NatsBus.connect(nats.url, name="listener")
        received: asyncio.Queue[events_pb2.Event] = asyncio.Queue()

        async def on_event(event: events_pb2.Event) -> None:
            await received.put(event)

        await listener.subscribe("tstudio.media.probe.*.completed", on_event)
        await listener.nc.flush()
        try:
            async for service in start_media(media_settings(tmp_path, nats_url=nats.url), bus=service_bus):
                reply = await service.stub.Probe(media_pb2.ProbeRequest(path=str(media.video)), timeout=30)
                event = await asyncio.wait_for(received.get(), 10)
                assert event.subject == f"tstudio.media.probe.{reply.probe_id}.completed"
                assert event.probe_completed.info.streams[0].width == 160
                assert event.probe_completed.info.duration_seconds == reply.info.duration_seconds
        finally:
            await service_bus.close()
            await listener.close()
