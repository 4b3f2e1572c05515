"""The Node.js clients in clients/node against running services: gRPC from the .proto files
(media Probe, compiler ValidateProject) and the JavaScript gateway client over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import TOKEN, Gateway

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients" / "node"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "node_modules" / "@grpc" / "grpc-js").exists(),
    reason="needs node and `npm install` at the repository root",
)


async def node(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    process = await asyncio.create_subprocess_exec(
        str(NODE), *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    return process.returncode or 0, lines, stderr.decode()


async def test_node_grpc_client_probes_with_the_media_service(gateway: Gateway) -> None:
    request = json.dumps({"path": str(gateway.media.video)})
    code, lines, stderr = await node(
        str(CLIENTS / "examples" / "grpc_call.js"), "media", gateway.media.address, "Probe", request
    )
    assert code == 0, stderr
    info = lines[0]["info"]
    assert info["kind"] == "MEDIA_KIND_VIDEO"
    assert info["size_bytes"] == str(gateway.media.video.stat().st_size)
    assert {s["type"] for s in info["streams"]} >= {"STREAM_TYPE_VIDEO", "STREAM_TYPE_AUDIO"}


async def test_node_grpc_client_calls_the_compiler_and_sees_its_errors(gateway: Gateway) -> None:
    script = str(CLIENTS / "examples" / "grpc_call.js")
    address = gateway.compiler.address
    code, lines, stderr = await node(
        script, "compiler", address, "ValidateProject", '{"project": {"name": "x"}}'
    )
    assert code == 0, stderr
    assert lines[0]["valid"] is True
    bad = json.dumps({"project": {"settings": {"fps": -1}}})
    code, lines, _ = await node(script, "compiler", address, "ValidateProject", bad)
    assert code == 1 and lines[0]["error"]["code"] == "INVALID_ARGUMENT"


async def test_node_gateway_client_over_http_and_websocket(nats_gateway: Gateway, tmp_path: Path) -> None:
    output = tmp_path / "node-render.mp4"
    code, lines, stderr = await node(
        "--experimental-websocket",
        str(CLIENTS / "examples" / "gateway_session.js"),
        nats_gateway.url,
        TOKEN,
        str(nats_gateway.media.video),
        str(output),
    )
    assert code == 0, stderr
    steps = {line["step"]: line for line in lines}
    assert steps["http_probe"]["streams"] == 2
    assert steps["http_error"] == {"step": "http_error", "status": 400, "field": "path"}
    assert steps["commands"]["count"] > 20
    assert steps["ws_probe"]["container"].startswith("mov,mp4")
    render = steps["ws_render"]
    assert render["last_status"] == "JOB_STATUS_SUCCEEDED"
    assert len(render["progress"]) >= 3 and render["progress"] == sorted(render["progress"])
    assert "tstudio.compiler.render.completed" in render["events"]
    assert output.exists() and output.stat().st_size > 0
