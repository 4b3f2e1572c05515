"""End to end with the real compiler service (as a process, on a real nats-server): the
native `render` over the gateway's WebSocket streams the render's progress to the end,
its events arrive over the same socket, and the file exists."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from svckit.bus import NatsBus
from svckit.testing import NatsServer, free_port, grpc_service

from .conftest import Gateway, MediaProcess, start_gateway
from .test_websocket import receive, receive_until, ws_url


@pytest.fixture(scope="session")
def compiler_service(nats_server: NatsServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("gateway-compiler")
    port = free_port()
    env = {
        **os.environ,
        "COMPILER_PORT": str(port),
        "COMPILER_NATS_URL": nats_server.url,
        "COMPILER_DATA_DIR": str(root / "data"),
        "COMPILER_LOG_FORMAT": "text",
        "COMPILER_MAX_WORKERS": "2",
    }
    with grpc_service("tstudio_compiler", env, port, root / "compiler.log", timeout=90) as address:
        yield address


@pytest.fixture
async def real_gateway(
    media_service: MediaProcess, nats_server: NatsServer, compiler_service: str
) -> AsyncIterator[Gateway]:
    bus = await NatsBus.connect(nats_server.url, name="gateway-test")
    try:
        async for running in start_gateway(media_service, bus, bus, compiler_addr=compiler_service):
            yield running
    finally:
        await bus.close()


def small_project(video: Path, output: Path) -> dict[str, object]:
    return {
        "name": "gateway-e2e",
        "settings": {"width": 160, "height": 120, "fps": 30, "sample_rate": 48000},
        "tracks": [
            {
                "id": "v1",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "c1", "source": {"path": str(video)}, "start": 0, "source_in": 0, "source_out": 1}
                ],
            }
        ],
        "output": {"path": str(output), "container": "mp4", "video_codec": "h264", "audio_codec": "aac"},
    }


async def test_compile_video_through_the_gateway_renders_the_file(
    real_gateway: Gateway, tmp_path: Path
) -> None:
    output = tmp_path / "e2e.mp4"
    project = small_project(real_gateway.media.video, output)
    async with real_gateway.session.ws_connect(ws_url(real_gateway), headers=real_gateway.headers()) as ws:
        await ws.send_json({"id": "s", "type": "subscribe", "subject": "tstudio.compiler.render.*.*"})
        assert (await receive(ws))["type"] == "subscribed"
        await ws.send_json(
            {"id": "v", "type": "invoke", "command": "validate_project", "args": {"project": project}}
        )
        validated = await receive_until(ws, lambda m: m.get("id") == "v")
        assert validated[-1]["type"] == "result" and validated[-1]["data"]["valid"] is True, validated[-1]
        await ws.send_json({"id": "r", "type": "invoke", "command": "render", "args": {"project": project}})
        seen = await receive_until(
            ws, lambda m: m.get("id") == "r" and m["type"] in ("end", "error"), timeout=120
        )
        assert seen[-1]["type"] == "end", seen[-1]
        final = [m for m in seen if m.get("id") == "r" and m["type"] == "message"][-1]["data"]["job"]
        assert final["status"] == "JOB_STATUS_SUCCEEDED", final
        events = [m["event"]["type"] for m in seen if m["type"] == "event"]
        if "tstudio.compiler.render.completed" not in events:
            more = await receive_until(
                ws, lambda m: m["type"] == "event" and m["event"]["type"].endswith(".completed"), timeout=30
            )
            events += [m["event"]["type"] for m in more if m["type"] == "event"]
    assert "tstudio.compiler.render.completed" in events
    assert output.exists() and output.stat().st_size > 0
    # The file the service wrote is real media: probe it through the gateway too.
    reply = await real_gateway.invoke("probe_media_file", {"path": str(output)})
    info = (await reply.json())["info"]
    assert 0.9 <= info["duration_seconds"] <= 1.2


async def test_compiler_validation_errors_arrive_with_field_paths(
    real_gateway: Gateway, tmp_path: Path
) -> None:
    project = small_project(real_gateway.media.video, tmp_path / "x.mp4")
    project["tracks"][0]["clips"][0]["speed"] = -1  # type: ignore[index]
    reply = await real_gateway.invoke("render", {"project": project})
    body = await reply.json()
    assert reply.status == 400, body
    fields = [v["field"] for v in body["error"]["field_violations"]]
    assert any("tracks[0].clips[0].speed" in field for field in fields), fields
