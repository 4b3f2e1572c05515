"""Render progress and completion reach a real nats-server as `tstudio.compiler.render.<job>.*`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from svckit.bus import NatsBus
from svckit.executor import BlockingExecutor
from svckit.testing import NatsServer
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio.events.v1 import events_pb2
from tstudio_compiler.composition import build_compiler
from tstudio_compiler.server import create_server
from tstudio_compiler.settings import CompilerSettings

from .conftest import Media, project


async def test_render_events_go_out_on_nats(media: Media, tmp_path: Path) -> None:
    async with NatsServer(jetstream=False) as nats:
        service_bus = await NatsBus.connect(nats.url, name="compiler")
        listener = await NatsBus.connect(nats.url, name="listener")
        seen: list[events_pb2.Event] = []
        finished = asyncio.Event()

        async def on_event(event: events_pb2.Event) -> None:
            seen.append(event)
            if event.WhichOneof("payload") in ("completed", "failed"):
                finished.set()

        await listener.subscribe("tstudio.compiler.render.*.>", on_event)
        await listener.nc.flush()
        settings = CompilerSettings(port=0, data_dir=tmp_path / "data", nats_url=nats.url)
        executor = BlockingExecutor(2, "nats-test")
        compiler = build_compiler(settings, service_bus, executor)
        handle = create_server(settings, compiler)
        await handle.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}") as channel:
                stub = compiler_pb2_grpc.CompilerServiceStub(channel)
                edit = {
                    "settings": {"width": 160, "height": 120, "fps": 30},
                    "tracks": [
                        {
                            "id": "v",
                            "kind": "TRACK_KIND_VIDEO",
                            "clips": [{"id": "c", "source": {"path": str(media.red_green)}, "start": 0}],
                        }
                    ],
                    "output": {"path": str(tmp_path / "out.mp4")},
                }
                reply = await stub.SubmitRender(compiler_pb2.SubmitRenderRequest(project=project(edit)))
                await asyncio.wait_for(finished.wait(), 30)
        finally:
            await handle.stop(0)
            executor.shutdown()
            await service_bus.close()
            await listener.close()
    job_id = reply.job.id
    kinds = [e.WhichOneof("payload") for e in seen]
    assert kinds[-1] == "completed" and "progress" in kinds
    done = seen[-1]
    assert done.subject == f"tstudio.compiler.render.{job_id}.completed"
    assert done.source == "compiler" and done.completed.output_path == str(tmp_path / "out.mp4")
    assert all(e.progress.job_id == job_id for e in seen if e.WhichOneof("payload") == "progress")
