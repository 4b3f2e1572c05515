"""Issue 15 item 13 through the gateway: a WebSocket client subscribed to render completions gets
the `completed` of a job that finished while nats-server was restarting, even though the gateway's
own NATS connection came back after the compiler's (a real nats-server with JetStream, stopped and
started on the same port and store)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import nats
import pytest
from svckit.bus import NatsBus
from svckit.events import new_event, subject
from svckit.testing import NatsServer
from tstudio.events.v1 import events_pb2

from .conftest import Gateway, MediaProcess, start_gateway


@pytest.fixture
async def restartable() -> AsyncIterator[NatsServer]:
    with NatsServer(jetstream=True) as server:
        yield server


async def _completed(bus: NatsBus, job: str) -> None:
    name = subject("compiler", "render", job, "completed")
    await bus.publish(name, new_event("compiler", name, completed=events_pb2.JobCompleted(job_id=job)))


async def _next_event(ws: aiohttp.ClientWebSocketResponse) -> str:
    async with asyncio.timeout(60):  # a bound on the test, not a timing asserted
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, message
            frame = json.loads(message.data)
            if frame.get("type") == "event":
                return str(frame["event"]["completed"]["job_id"])


async def test_a_completion_during_a_nats_restart_reaches_a_websocket_subscriber(
    media_service: MediaProcess, restartable: NatsServer
) -> None:
    # The gateway reconnects later than the compiler: the compiler's buffered event is flushed
    # before the gateway has subscribed again, so only the stored copy can reach the client.
    gateway_bus = NatsBus(
        await nats.connect(
            restartable.url, name="gateway", max_reconnect_attempts=-1, reconnect_time_wait=3.0
        )
    )
    compiler_bus = await NatsBus.connect(restartable.url, name="compiler")
    try:
        async for gateway in start_gateway(media_service, gateway_bus, compiler_bus):
            await _watch(gateway, compiler_bus, restartable)
    finally:
        await compiler_bus.close()
        await gateway_bus.close()


async def _watch(gateway: Gateway, compiler_bus: NatsBus, server: NatsServer) -> None:
    async with gateway.session.ws_connect(f"{gateway.url}/api/v1/ws", headers=gateway.headers()) as ws:
        await ws.send_str(
            json.dumps({"id": "s", "type": "subscribe", "subject": "tstudio.compiler.render.*.completed"})
        )
        assert json.loads((await ws.receive(timeout=30)).data)["type"] == "subscribed"
        await _completed(compiler_bus, "before")
        assert await _next_event(ws) == "before"
        await asyncio.to_thread(server.stop)
        await _completed(compiler_bus, "during")
        await asyncio.to_thread(server.start)
        assert await _next_event(ws) == "during"
        await _completed(compiler_bus, "after")
        assert await _next_event(ws) == "after"
