"""WebSocket: invoke (streaming messages as they come), subscribe to events from a real NATS, cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
from svckit.bus import InProcessBus

from .conftest import TOKEN, Gateway, MediaProcess, start_gateway


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.receive_str(), timeout))
    return message


async def receive_until(
    ws: aiohttp.ClientWebSocketResponse, predicate: Any, timeout: float = 10.0
) -> list[dict[str, Any]]:
    seen = []
    while True:
        message = await receive(ws, timeout)
        seen.append(message)
        if predicate(message):
            return seen


def ws_url(gateway: Gateway) -> str:
    return gateway.url.replace("http://", "ws://") + "/api/v1/ws"


async def test_render_streams_progress_to_completion_and_the_file_exists(
    nats_gateway: Gateway, tmp_path: Path
) -> None:
    output = tmp_path / "render.mp4"
    async with nats_gateway.session.ws_connect(ws_url(nats_gateway), headers=nats_gateway.headers()) as ws:
        await ws.send_json({"id": "s", "type": "subscribe", "subject": "tstudio.compiler.render.*.*"})
        assert (await receive(ws))["type"] == "subscribed"
        project = {"name": "demo", "output": {"path": str(output)}}
        await ws.send_json({"id": "r1", "type": "invoke", "command": "render", "args": {"project": project}})
        seen = await receive_until(ws, lambda m: m.get("id") == "r1" and m["type"] in ("end", "error"))
        # The completion event may trail the end of the stream by a moment.
        events = [m for m in seen if m["type"] == "event"]
        if not any(e["event"]["type"] == "tstudio.compiler.render.completed" for e in events):
            events += [
                m
                for m in await receive_until(ws, lambda m: m["type"] == "event" and "completed" in m["event"])
            ]
    messages = [m for m in seen if m.get("id") == "r1"]
    assert messages[-1]["type"] == "end", messages[-1]
    progress = [m["data"]["job"]["progress"].get("percent", 0.0) for m in messages if m["type"] == "message"]
    assert len(progress) >= 3 and progress == sorted(progress)
    assert messages[-2]["data"]["job"]["status"] == "JOB_STATUS_SUCCEEDED"
    assert output.exists() and output.stat().st_size > 0
    kinds = {e["event"]["type"] for e in events}
    assert {"tstudio.compiler.render.progress", "tstudio.compiler.render.completed"} <= kinds
    completed = next(e for e in events if "completed" in e["event"])
    assert completed["subscription"] == "s"
    assert completed["event"]["completed"]["output_path"] == str(output)


async def test_unary_invoke_answers_a_result_and_errors_carry_the_details(gateway: Gateway) -> None:
    async with gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers()) as ws:
        await ws.send_json(
            {
                "id": 1,
                "type": "invoke",
                "command": "probe_media_file",
                "args": {"path": str(gateway.media.video)},
            }
        )
        reply = await receive(ws)
        assert reply["id"] == "1" and reply["type"] == "result"
        assert reply["data"]["info"]["streams"]
        await ws.send_json({"id": "2", "type": "invoke", "command": "probe", "args": {"path": 7}})
        error = await receive(ws)
        assert error["type"] == "error" and error["error"]["field_violations"][0]["field"] == "path"
        await ws.send_json({"id": "3", "type": "invoke", "command": "prob"})
        error = await receive(ws)
        assert error["error"]["code"] == "NOT_FOUND" and "probe" in error["error"]["near_names"]
        await ws.send_str("{not json")
        error = await receive(ws)
        assert error["error"]["reason"] == "INVALID_JSON"
        await ws.send_json({"id": "4", "type": "dance"})
        assert (await receive(ws))["error"]["field_violations"][0]["field"] == "type"


async def test_websocket_needs_a_token_in_the_header_or_query(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/api/v1/ws")
    assert reply.status == 401
    url = ws_url(gateway) + f"?access_token={TOKEN}"
    async with gateway.session.ws_connect(url) as ws:
        await ws.send_json({"id": "p", "type": "ping"})
        assert (await receive(ws))["type"] == "pong"


async def test_cancel_stops_a_running_stream(gateway: Gateway, tmp_path: Path) -> None:
    gateway.compiler.servicer.cancelled.clear()
    async with gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers()) as ws:
        project = {"output": {"path": str(tmp_path / "never.mp4")}}
        await ws.send_json(
            {"id": "r", "type": "invoke", "command": "compiler.render", "args": {"project": project}}
        )
        first = await receive(ws)
        assert first["type"] == "message"
        await ws.send_json({"id": "c", "type": "cancel", "target": "r"})
        seen = await receive_until(ws, lambda m: m.get("id") == "c")
        assert seen[-1]["type"] == "cancelled"
    await asyncio.wait_for(gateway.compiler.servicer.cancelled.wait(), 10)
    assert not (tmp_path / "never.mp4").exists()


async def test_subscribe_without_nats_is_refused_clearly(gateway: Gateway) -> None:
    async with gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers()) as ws:
        await ws.send_json({"id": "s", "type": "subscribe", "subject": "tstudio.>"})
        error = await receive(ws)
        assert error["error"]["reason"] == "EVENTS_DISABLED"


async def test_bad_subjects_are_refused(nats_gateway: Gateway) -> None:
    async with nats_gateway.session.ws_connect(ws_url(nats_gateway), headers=nats_gateway.headers()) as ws:
        for index, subject in enumerate((">", "other.app.>", "tstudio.>.x", "tstudio..x", "tstudio.a b")):
            await ws.send_json({"id": str(index), "type": "subscribe", "subject": subject})
            error = await receive(ws)
            assert error["type"] == "error" and error["error"]["reason"] == "INVALID_SUBJECT", subject


async def test_unsubscribe_stops_events(nats_gateway: Gateway, tmp_path: Path) -> None:
    async with nats_gateway.session.ws_connect(ws_url(nats_gateway), headers=nats_gateway.headers()) as ws:
        await ws.send_json({"id": "s", "type": "subscribe", "subject": "tstudio.compiler.render.*.progress"})
        assert (await receive(ws))["type"] == "subscribed"
        await ws.send_json({"id": "u", "type": "unsubscribe", "subscription": "s"})
        assert (await receive(ws))["type"] == "unsubscribed"
        project = {"output": {"path": str(tmp_path / "o.mp4")}}
        await ws.send_json({"id": "r", "type": "invoke", "command": "render", "args": {"project": project}})
        seen = await receive_until(ws, lambda m: m.get("id") == "r" and m["type"] == "end")
        await ws.send_json({"id": "p", "type": "ping"})
        seen += await receive_until(ws, lambda m: m.get("id") == "p")
    assert not [m for m in seen if m["type"] == "event"]


async def test_a_connection_holds_a_bounded_number_of_subscriptions(nats_gateway: Gateway) -> None:
    from tstudio_gateway.api.websocket import MAX_SUBSCRIPTIONS

    async with nats_gateway.session.ws_connect(ws_url(nats_gateway), headers=nats_gateway.headers()) as ws:
        for index in range(MAX_SUBSCRIPTIONS):
            await ws.send_json(
                {"id": str(index), "type": "subscribe", "subject": f"tstudio.media.probe.p{index}.*"}
            )
        for _ in range(MAX_SUBSCRIPTIONS):
            assert (await receive(ws))["type"] == "subscribed"
        await ws.send_json({"id": "one-more", "type": "subscribe", "subject": "tstudio.>"})
        error = await receive(ws)
        assert error["id"] == "one-more" and error["error"]["reason"] == "TOO_MANY_SUBSCRIPTIONS"
        assert error["error"]["status"] == 429


async def test_without_door_spans_commands_answer_the_same_over_http_and_websocket(
    media_service: MediaProcess,
) -> None:
    bus = InProcessBus()
    async for gateway in start_gateway(media_service, None, bus, door_spans=False):
        args = {"path": str(gateway.media.video)}
        reply = await gateway.invoke("probe_media_file", args)
        assert reply.status == 200
        over_http = await reply.json()
        async with gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers()) as ws:
            await ws.send_json({"id": "1", "type": "invoke", "command": "probe_media_file", "args": args})
            answer = await receive(ws)
            await ws.send_json({"id": "2", "type": "invoke", "command": "media.prob", "args": args})
            error = await receive(ws)
        assert answer["type"] == "result" and answer["data"]["info"] == over_http["info"]
        assert error["type"] == "error" and error["error"]["reason"] == "UNKNOWN_COMMAND"
    await bus.close()
