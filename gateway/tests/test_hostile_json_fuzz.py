"""Property tests (hypothesis): hostile JSON at the gateway's HTTP and WebSocket doors always gets
a documented 4xx with a reason (an error frame on the WebSocket, which stays open), never a 500,
and the gateway keeps serving. Complements the schemathesis pass, which stays inside the schema's
shapes; these go outside JSON's sane range: deep nesting, huge numbers, NaN/Infinity, lone
surrogates, bytes that are not UTF-8, odd ids and command names."""

from __future__ import annotations

import json

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Gateway

# What the gateway may answer to bad input (docs/hardening-edge.md). 501 and 503 are honest
# answers for commands whose service is absent here (recognition is down in this fixture).
DOCUMENTED = {400, 401, 403, 404, 408, 413, 429, 501, 503}
COMMANDS = (
    "compiler.validate_project",
    "media.probe",
    "media.thumbnail",
    "security.put_secret",
    "recognition.detect_shots",
    "x" * 300,
    "\udcff",
    "",
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**80), max_value=10**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    """JSON text, perhaps wrapped in deep nesting, with some hostile token spliced in."""
    body = json.dumps(draw(st.dictionaries(st.sampled_from(["path", "project", "id", "name"]), _json)))
    depth = draw(st.sampled_from([0, 0, 20, 31, 32, 33, 900, 5000]))
    body = "[" * depth + body + "]" * depth
    splice = draw(
        st.sampled_from(
            [
                "",
                "9" * draw(st.integers(60, 6000)),
                "-" + "7" * draw(st.integers(290, 420)),
                "-" + "1" * 5000,
                "1e99999",
                "NaN",
                "-Infinity",
                '"\\ud800"',
                '"\\udfff\\ud800"',
                '{"a":' * 70 + "0" + "}" * 70,
            ]
        )
    )
    if splice and body.endswith("}") and body.startswith("{"):
        body = body[:-1] + ("," if body != "{}" else "") + f'"hostile": {splice}' + "}"
    elif splice:
        body = splice
    return body


def _check_error(status: int, payload: object) -> None:
    assert status in DOCUMENTED, (status, payload)
    assert isinstance(payload, dict)
    error = payload["error"]
    assert error["reason"] and error["message"]
    assert error["status"] == status


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_text(), command=st.sampled_from(COMMANDS), raw=st.binary(max_size=8))
async def test_hostile_json_over_http_is_a_documented_4xx(
    gateway: Gateway, text: str, command: str, raw: bytes
) -> None:
    body = text.encode("utf-8", "surrogatepass") + raw
    async with gateway.session.post(
        f"{gateway.url}/api/v1/invoke/{command.encode('utf-8', 'surrogateescape').hex() if not command.isprintable() or not command.isascii() else command}",
        data=body,
        headers={**gateway.headers(), "Content-Type": "application/json"},
    ) as reply:
        payload = await reply.json()
        if reply.status != 200:
            _check_error(reply.status, payload)
    async with gateway.session.get(f"{gateway.url}/healthz") as alive:
        assert alive.status == 200


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=hostile_text(),
    kind=st.sampled_from(["invoke", "subscribe", "unsubscribe", "cancel", "ping", "nonsense"]),
    frame_id=st.one_of(
        st.none(),
        st.text(max_size=200),
        st.integers(min_value=-(10**70), max_value=10**70),
        st.floats(),
        st.lists(st.integers(), max_size=2),
    ),
    command=st.sampled_from(COMMANDS),
)
async def test_hostile_websocket_frames_get_error_frames_and_the_socket_stays(
    gateway: Gateway, text: str, kind: str, frame_id: object, command: str
) -> None:
    async with gateway.session.ws_connect(f"{gateway.url}/api/v1/ws", headers=gateway.headers()) as ws:
        # The hostile document as the frame itself, then inside an otherwise ordinary message.
        envelope = json.dumps({"id": frame_id, "type": kind, "command": command, "subject": command})
        for frame in (text, envelope[:-1] + ', "args": ' + text + "}"):
            await ws.send_str(frame.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
            answer = await ws.receive(timeout=30)
            assert answer.type == aiohttp.WSMsgType.TEXT, answer
            message = json.loads(answer.data)
            if message["type"] == "error":
                _check_error(message["error"]["status"], message)
            elif kind == "invoke" and message["type"] == "result":
                pass  # a valid command with valid arguments ran
            else:
                assert message["type"] in {"pong", "subscribed", "message", "end", "result"}, message
        await ws.send_str('{"id": "alive", "type": "ping"}')
        while True:
            reply = json.loads((await ws.receive(timeout=30)).data)
            if reply.get("id") == "alive":
                assert reply["type"] == "pong"
                break
