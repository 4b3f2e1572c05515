"""Hostile input at the gateway's doors (issue 15, items 6-8 and 16): deeply nested JSON, integers
of thousands of digits, bytes that are not UTF-8, lone surrogates and very long command names get
a 4xx with a reason over HTTP and an error frame over the WebSocket, never a 500, and the gateway
keeps answering."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from .conftest import TOKEN, Gateway

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"path": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
HUGE_INTEGER = '{"path": "x", "n": ' + "9" * 5000 + "}"


async def _post_raw(gateway: Gateway, command: str, body: bytes | str) -> aiohttp.ClientResponse:
    return await gateway.session.post(
        f"{gateway.url}/api/v1/invoke/{command}",
        data=body.encode() if isinstance(body, str) else body,
        headers={**gateway.headers(), "Content-Type": "application/json"},
    )


async def _still_serving(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/healthz")
    assert reply.status == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (DEEP, "JSON_TOO_DEEP"),
        (DEEP_OBJECT, "JSON_TOO_DEEP"),
        (HUGE_INTEGER, "JSON_NUMBER_TOO_LONG"),
        ('{"path": "x", "n": -' + "1" * 5000 + "}", "JSON_NUMBER_TOO_LONG"),
        (
            '{"project": {"tracks": [{"clips": [{"effects": [{"params": {"a": ' + "9" * 400 + "}}]}]}]}}",
            "INVALID_ARGUMENTS",
        ),
        ('{"path": NaN}', "INVALID_JSON"),
        ('{"path": Infinity}', "INVALID_JSON"),
        (b'{"path": "\xff\xfe"}', "INVALID_JSON"),
        ('{"project": {"name": "\\ud800"}}', "INVALID_ARGUMENTS"),
    ],
    ids=[
        "deep-array",
        "deep-object",
        "5000-digits",
        "negative-5000",
        "400-digits-in-a-double",
        "nan",
        "inf",
        "bytes",
        "surrogate",
    ],
)
async def test_hostile_json_bodies_are_400_with_a_reason(
    gateway: Gateway, body: bytes | str, reason: str
) -> None:
    reply = await _post_raw(gateway, "compiler.validate_project", body)
    assert reply.status == 400, await reply.text()
    error = (await reply.json())["error"]
    assert error["reason"] == reason
    assert error["message"]
    await _still_serving(gateway)


async def test_a_project_nested_as_deep_as_real_ones_is_accepted(gateway: Gateway) -> None:
    params: dict[str, object] = {"x": 1}
    for _ in range(20):
        params = {"inner": params}
    project = {"tracks": [{"clips": [{"effects": [{"type": "blur", "params": params}]}]}]}
    reply = await gateway.invoke("compiler.validate_project", {"project": project})
    assert reply.status == 200, await reply.text()


@pytest.mark.parametrize(
    "header",
    [b"Bearer \xff\xfe\xfd", b"Bearer t\xc3\x28", b"\xff", b"Bearer " + TOKEN.encode() + b"\x80"],
    ids=["latin1", "bad-utf8", "scheme", "suffix"],
)
async def test_authorization_that_is_not_utf8_is_401(gateway: Gateway, header: bytes) -> None:
    port = gateway.handle.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"POST /api/v1/invoke/media.get_diagnostics HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: " + header + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), answer[:300]
    assert json.loads(body)["error"]["reason"] in {"MALFORMED_TOKEN", "MISSING_TOKEN"}
    await _still_serving(gateway)


async def test_trace_is_405_with_allow(gateway: Gateway) -> None:
    reply = await gateway.session.request(
        "TRACE", f"{gateway.url}/api/v1/commands", headers=gateway.headers()
    )
    assert reply.status == 405
    assert "GET" in reply.headers["Allow"]
    assert (await reply.json())["error"]["reason"] == "METHOD_NOT_ALLOWED"


async def test_an_8000_character_unknown_command_is_refused_without_matching(gateway: Gateway) -> None:
    name = "x" * 8000
    reply = await gateway.invoke(name, {})
    assert reply.status == 404
    error = (await reply.json())["error"]
    assert error["reason"] == "UNKNOWN_COMMAND"
    assert error["near_names"] == []
    assert "too long" in error["message"]
    # A near name still gets its suggestions.
    reply = await gateway.invoke("prob_media_file", {})
    assert "probe_media_file" in (await reply.json())["error"]["near_names"]


# -- WebSocket ------------------------------------------------------------------------------------


async def _ws(gateway: Gateway) -> aiohttp.ClientWebSocketResponse:
    return await gateway.session.ws_connect(f"{gateway.url}/api/v1/ws", headers=gateway.headers())


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ('{"id": "\\ud800", "type": "ping"}', "INVALID_MESSAGE"),
        ('{"id": ' + "7" * 5000 + ', "type": "ping"}', "JSON_NUMBER_TOO_LONG"),
        ('{"id": "' + "i" * 5000 + '", "type": "ping"}', "INVALID_MESSAGE"),
        ('{"id": {"a": 1}, "type": "ping"}', "INVALID_MESSAGE"),
        (DEEP, "JSON_TOO_DEEP"),
        ('{"id": "1", "type": "invoke", "command": "\\udc80", "args": {}}', "UNKNOWN_COMMAND"),
        ('{"id": "1", "type": "subscribe", "subject": "\\ud800"}', None),
        ('{"id": "1", "type": "subscribe", "subject": "tstudio' + ".a" * 3000 + '"}', "INVALID_SUBJECT"),
        ('{"id": "1", "type": "invoke", "command": "' + "q" * 8000 + '"}', "UNKNOWN_COMMAND"),
    ],
    ids=[
        "surrogate-id",
        "5000-digit-id",
        "long-id",
        "object-id",
        "deep",
        "surrogate-command",
        "surrogate-subject",
        "long-subject",
        "long-command",
    ],
)
async def test_hostile_websocket_frames_get_an_error_frame_and_the_socket_stays(
    gateway: Gateway, frame: str, reason: str | None
) -> None:
    ws = await _ws(gateway)
    try:
        await ws.send_str(frame)
        answer = await asyncio.wait_for(ws.receive(), 30)
        assert answer.type == aiohttp.WSMsgType.TEXT, answer
        message = json.loads(answer.data)
        assert message["type"] == "error", message
        assert message["error"]["status"] < 500
        if reason:
            assert message["error"]["reason"] == reason
        await ws.send_str('{"id": "after", "type": "ping"}')
        pong = json.loads((await asyncio.wait_for(ws.receive(), 30)).data)
        assert pong == {"id": "after", "type": "pong"}
    finally:
        await ws.close()


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/api/v1/invoke/%ff%fe",
        b"/api/v1/invoke/%00",
        b"/api/v1/invoke/\xff\xfe",
        b"/api/v1/ws?access_token=%ff",
    ],
    ids=["percent-bytes", "percent-nul", "raw-bytes", "query-token"],
)
async def test_request_targets_that_are_not_utf8_are_4xx(gateway: Gateway, raw_path: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.handle.port)
    try:
        auth = b"" if b"access_token" in raw_path else b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
        writer.write(
            b"POST "
            + raw_path
            + b" HTTP/1.1\r\nHost: x\r\n"
            + auth
            + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:300]
    await _still_serving(gateway)


async def test_parameters_nested_past_what_the_services_can_decode_are_400(gateway: Gateway) -> None:
    # Each JSON level inside a Struct is two protobuf levels; services refuse messages over 100.
    params: dict[str, object] = {"x": 1}
    for _ in range(40):
        params = {"inner": params}
    project = {"tracks": [{"clips": [{"effects": [{"type": "blur", "params": params}]}]}]}
    reply = await gateway.invoke("compiler.validate_project", {"project": project})
    assert reply.status == 400, await reply.text()
    error = (await reply.json())["error"]
    assert error["reason"] == "INVALID_ARGUMENTS"
    assert error["field_violations"][0]["field"].startswith("project.tracks.clips.effects.params")
