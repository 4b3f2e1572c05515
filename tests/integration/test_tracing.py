"""One trace from a caller through the media service into its NATS event, checked on the spans the
service really exports over OTLP to a receiver this test runs."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import grpc
from svckit.bus import NatsBus
from svckit.healthcheck import wait_serving
from svckit.otlp_receiver import OtlpReceiver
from svckit.testing import NatsServer, free_port, make_video
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2, media_pb2_grpc


async def test_probe_joins_the_callers_trace_across_grpc_and_nats(tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", seconds=1.0)
    with NatsServer() as nats, OtlpReceiver() as receiver:
        port = free_port()
        env = {
            **os.environ,
            "MEDIA_PORT": str(port),
            "MEDIA_NATS_URL": nats.url,
            "MEDIA_DATA_DIR": str(tmp_path / "media-data"),
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_SERVICE_NAME": "tstudio-media",
        }
        service = subprocess.Popen([sys.executable, "-m", "tstudio_media"], env=env)
        try:
            await wait_serving(f"127.0.0.1:{port}", timeout=30)
            bus = await NatsBus.connect(nats.url)
            events: asyncio.Queue[events_pb2.Event] = asyncio.Queue()

            async def on_event(event: events_pb2.Event) -> None:
                await events.put(event)

            await bus.subscribe("tstudio.media.probe.*.completed", on_event)
            await bus.nc.flush()

            trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await media_pb2_grpc.MediaServiceStub(channel).Probe(
                    media_pb2.ProbeRequest(path=str(video)),
                    metadata=[("traceparent", f"00-{trace_id}-{parent_id}-01")],
                    timeout=10,
                )
            event = await asyncio.wait_for(events.get(), 10)
            assert trace_id in event.traceparent
            spans = receiver.wait_for(
                lambda seen: any(s.trace_id == trace_id and s.parent_span_id == parent_id for s in seen)
            )
            server_span = next(s for s in spans if s.trace_id == trace_id and s.parent_span_id == parent_id)
            assert server_span.service == "tstudio-media"
            assert "Probe" in server_span.name
            await bus.close()
        finally:
            service.terminate()
            assert service.wait(15) == 0
