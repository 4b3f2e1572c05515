"""One trace across the suite: a gateway command -> the compiler's gRPC server -> its render events
on NATS -> the gateway relaying them to a WebSocket client. The compiler and the gateway run as
processes exporting over OTLP to a receiver this test runs; the assertions are on the spans they
really export (their parent links) and on their JSON log lines."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from svckit.healthcheck import check
from svckit.otlp_receiver import OtlpReceiver, ReceivedSpan
from svckit.testing import NatsServer, free_port, make_video, wait_until

TOKEN = "trace-test-token"
# OTLP span kinds (opentelemetry.proto.trace.v1.Span.SpanKind).
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5


@dataclass
class Suite:
    gateway_url: str
    receiver: OtlpReceiver
    logs: dict[str, Path]
    video: Path

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}", **extra}

    @property
    def ws_url(self) -> str:
        return self.gateway_url.replace("http://", "ws://") + "/api/v1/ws"


def _spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT)


def _gateway_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    root = tmp_path_factory.mktemp("trace-suite")
    video = make_video(root / "clip.mp4", seconds=1.0, width=160, height=120, fps=30)
    with NatsServer() as nats, OtlpReceiver() as receiver:
        telemetry = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        }
        compiler_port, gateway_port = free_port(), free_port()
        logs = {"compiler": root / "compiler.log", "gateway": root / "gateway.log"}
        compiler = _spawn(
            "tstudio_compiler",
            {
                **os.environ,
                **telemetry,
                "OTEL_SERVICE_NAME": "tstudio-compiler",
                "COMPILER_PORT": str(compiler_port),
                "COMPILER_NATS_URL": nats.url,
                "COMPILER_DATA_DIR": str(root / "compiler"),
                "COMPILER_MAX_WORKERS": "2",
                "COMPILER_LOG_LEVEL": "DEBUG",
            },
            logs["compiler"],
        )
        gateway = _spawn(
            "tstudio_gateway",
            {
                **os.environ,
                **telemetry,
                "OTEL_SERVICE_NAME": "tstudio-gateway",
                "GATEWAY_PORT": str(gateway_port),
                "GATEWAY_NATS_URL": nats.url,
                "GATEWAY_COMPILER_ADDR": f"127.0.0.1:{compiler_port}",
                "GATEWAY_DATA_DIR": str(root / "gateway"),
                "GATEWAY_DEV_TOKEN": TOKEN,
                "GATEWAY_LOG_LEVEL": "DEBUG",
            },
            logs["gateway"],
        )
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        try:
            up = wait_until(
                lambda: (
                    compiler.poll() is not None
                    or gateway.poll() is not None
                    or (check(f"127.0.0.1:{compiler_port}", timeout=0.5) and _gateway_healthy(gateway_url))
                ),
                timeout=90,
                interval=0.2,
            )
            if not up or compiler.poll() is not None or gateway.poll() is not None:
                tails = "\n".join(f"--- {n}\n{p.read_text()[-3000:]}" for n, p in logs.items())
                pytest.fail("the suite did not start:\n" + tails)
            yield Suite(gateway_url, receiver, logs, video)
        finally:
            _stop(gateway)
            _stop(compiler)


def small_project(video: Path, output: Path) -> dict[str, Any]:
    return {
        "name": "trace",
        "settings": {"width": 160, "height": 120, "fps": 30, "sample_rate": 48000},
        "tracks": [
            {
                "id": "v1",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": "c1",
                        "source": {"path": str(video)},
                        "start": 0,
                        "source_in": 0,
                        "source_out": 0.5,
                    }
                ],
            }
        ],
        "output": {"path": str(output), "container": "mp4", "video_codec": "h264", "audio_codec": "aac"},
    }


async def next_frame(ws: aiohttp.ClientWebSocketResponse, predicate: Any, timeout: float = 60.0) -> Any:
    """The first JSON frame matching `predicate`; the ones before it are dropped."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.receive_str(), deadline - time.monotonic()))
        if predicate(message):
            return message


def completed_event(job_id: str | None = None) -> Any:
    def match(message: dict[str, Any]) -> bool:
        if message.get("type") != "event" or not message["subject"].endswith(".completed"):
            return False
        return job_id is None or message["event"]["completed"]["job_id"] == job_id

    return match


# A command's own spans: the gateway's span for it, its gRPC call, and the compiler's answer to it.
REQUEST_SPANS = {("tstudio-gateway", SERVER), ("tstudio-gateway", CLIENT), ("tstudio-compiler", SERVER)}


def has_spans(spans: list[ReceivedSpan], wanted: set[tuple[str, int]]) -> bool:
    """Whether every (service, kind) in `wanted` is among `spans`: services export in batches,
    so the spans of one trace arrive in any order."""
    return wanted <= {(s.service, s.kind) for s in spans}


def one(spans: list[ReceivedSpan], **fields: Any) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in fields.items())]
    assert len(found) == 1, (fields, [(s.service, s.name, s.kind, s.parent_span_id) for s in spans])
    return found[0]


def assert_one_trace(
    receiver: OtlpReceiver, trace_id: str, rpc: str, command_parent: str, job_id: str
) -> dict[str, ReceivedSpan]:
    """gateway SERVER -> gateway CLIENT -> compiler SERVER -> compiler PRODUCER (completed) ->
    gateway CONSUMER, all in `trace_id`; the gateway's command span's parent is `command_parent`."""
    completed_subject = f"tstudio.compiler.render.{job_id}.completed"

    def complete(seen: list[ReceivedSpan]) -> bool:
        ours = [s for s in seen if s.trace_id == trace_id]
        producer = [s for s in ours if s.kind == PRODUCER and completed_subject in s.attributes.values()]
        return (
            has_spans(ours, REQUEST_SPANS)
            and bool(producer)
            and any(s.kind == CONSUMER and s.parent_span_id == producer[0].span_id for s in ours)
        )

    spans = [s for s in receiver.wait_for(complete) if s.trace_id == trace_id]
    command = one(spans, service="tstudio-gateway", kind=SERVER)
    assert command.parent_span_id == command_parent
    client = one(spans, service="tstudio-gateway", kind=CLIENT)
    assert client.parent_span_id == command.span_id and client.name.endswith(f"/{rpc}")
    server = one(spans, service="tstudio-compiler", kind=SERVER)
    assert server.parent_span_id == client.span_id and server.name.endswith(f"/{rpc}")
    producers = [s for s in spans if s.service == "tstudio-compiler" and s.kind == PRODUCER]
    # Every event of the job (progress and completion) is published inside the request's trace.
    assert producers and all(p.parent_span_id == server.span_id for p in producers)
    publish = next(p for p in producers if completed_subject in p.attributes.values())
    relay = next(s for s in spans if s.kind == CONSUMER and s.parent_span_id == publish.span_id)
    assert relay.service == "tstudio-gateway"
    return {"command": command, "client": client, "server": server, "publish": publish, "relay": relay}


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def assert_logs_carry(suite: Suite, trace_id: str, job_id: str) -> None:
    """Every service wrote lines about the job, and each of them carries the trace id."""

    def about_job(service: str) -> list[dict[str, Any]]:
        return [line for line in json_lines(suite.logs[service]) if job_id in line["message"]]

    # Logs are written as the work happens; the gateway's relay line may trail the test's frame.
    assert wait_until(lambda: all(about_job(s) for s in suite.logs), timeout=10)
    for service in suite.logs:
        lines = about_job(service)
        assert {line.get("trace_id") for line in lines} == {trace_id}, (service, lines)


async def test_render_over_websocket_is_one_trace_from_gateway_to_relay(suite: Suite, tmp_path: Path) -> None:
    project = small_project(suite.video, tmp_path / "ws.mp4")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(suite.ws_url, headers=suite.headers()) as ws:
            await ws.send_json({"id": "s", "type": "subscribe", "subject": "tstudio.compiler.render.*.*"})
            await next_frame(ws, lambda m: m.get("id") == "s" and m["type"] == "subscribed")
            await ws.send_json(
                {"id": "r", "type": "invoke", "command": "render", "args": {"project": project}}
            )
            event = (await next_frame(ws, completed_event()))["event"]
    job_id = event["completed"]["job_id"]
    # The envelope carries the trace it was published in, so a client can quote it.
    trace_id = event["traceparent"].split("-")[1]
    spans = await asyncio.to_thread(assert_one_trace, suite.receiver, trace_id, "Render", "", job_id)
    assert spans["command"].attributes["tstudio.command"] == "compiler.render"
    await asyncio.to_thread(assert_logs_carry, suite, trace_id, job_id)


async def test_http_submit_render_joins_the_callers_trace_through_to_the_relayed_event(
    suite: Suite, tmp_path: Path
) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    project = small_project(suite.video, tmp_path / "http.mp4")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(suite.ws_url, headers=suite.headers()) as ws:
            await ws.send_json(
                {"id": "s", "type": "subscribe", "subject": "tstudio.compiler.render.*.completed"}
            )
            await next_frame(ws, lambda m: m.get("id") == "s" and m["type"] == "subscribed")
            # The render runs on after SubmitRender has answered; its events must stay in this trace.
            async with session.post(
                suite.gateway_url + "/api/v1/invoke/compiler.submit_render",
                json={"project": project},
                headers=suite.headers(traceparent=f"00-{trace_id}-{caller_span}-01"),
            ) as reply:
                body = await reply.json()
                assert reply.status == 200, body
            job_id = body["job"]["id"]
            event = (await next_frame(ws, completed_event(job_id)))["event"]
    assert event["traceparent"].split("-")[1] == trace_id
    spans = await asyncio.to_thread(
        assert_one_trace, suite.receiver, trace_id, "SubmitRender", caller_span, job_id
    )
    assert spans["command"].attributes["http.route"] == "/api/v1/invoke/{command}"
    assert spans["command"].attributes["tstudio.command"] == "compiler.submit_render"
    await asyncio.to_thread(assert_logs_carry, suite, trace_id, job_id)


async def test_a_websocket_command_continues_the_trace_its_message_names(suite: Suite) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(suite.ws_url, headers=suite.headers()) as ws:
            await ws.send_json(
                {
                    "id": "e",
                    "type": "invoke",
                    "command": "compiler.list_effects",
                    "traceparent": f"00-{trace_id}-{caller_span}-01",
                }
            )
            answer = await next_frame(ws, lambda m: m.get("id") == "e")
    assert answer["type"] == "result", answer

    def arrived(seen: list[ReceivedSpan]) -> bool:
        return has_spans([s for s in seen if s.trace_id == trace_id], REQUEST_SPANS)

    spans = [s for s in await asyncio.to_thread(suite.receiver.wait_for, arrived) if s.trace_id == trace_id]
    command = one(spans, service="tstudio-gateway", kind=SERVER)
    assert command.parent_span_id == caller_span
    client = one(spans, service="tstudio-gateway", kind=CLIENT)
    assert one(spans, service="tstudio-compiler", kind=SERVER).parent_span_id == client.span_id
