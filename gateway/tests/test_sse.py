"""Server-Sent Events: events for a job, relayed from a real nats-server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from .conftest import TOKEN, Gateway


async def read_sse(response: aiohttp.ClientResponse) -> Any:
    """Yield (event, data) pairs from a text/event-stream."""
    event, data = "message", []
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


async def test_sse_relays_a_jobs_events(nats_gateway: Gateway, tmp_path: Path) -> None:
    output = tmp_path / "sse.mp4"
    url = f"{nats_gateway.url}/api/v1/events"
    async with nats_gateway.session.get(
        url, params={"subject": "tstudio.compiler.render.*.*"}, headers=nats_gateway.headers()
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        stream = read_sse(response)
        kind, data = await asyncio.wait_for(anext(stream), 10)
        assert kind == "subscribed"
        reply = await nats_gateway.invoke("render", {"project": {"output": {"path": str(output)}}})
        assert reply.status == 200
        await reply.read()
        kinds = []
        while "tstudio.compiler.render.completed" not in kinds:
            kind, data = await asyncio.wait_for(anext(stream), 10)
            kinds.append(kind)
            assert data["subject"].startswith("tstudio.compiler.render.")
    assert "tstudio.compiler.render.progress" in kinds
    assert data["completed"]["output_path"] == str(output)


async def test_sse_token_in_query_and_subject_checks(nats_gateway: Gateway) -> None:
    url = f"{nats_gateway.url}/api/v1/events"
    reply = await nats_gateway.session.get(url, params={"subject": "tstudio.>"})
    assert reply.status == 401
    reply = await nats_gateway.session.get(url, params={"subject": ">", "access_token": TOKEN})
    assert reply.status == 400
    assert (await reply.json())["error"]["reason"] == "INVALID_SUBJECT"
    reply = await nats_gateway.session.get(url, headers=nats_gateway.headers())
    assert reply.status == 400
