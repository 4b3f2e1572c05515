"""A small Tauri-style client for the replay tests: `invoke(name, args)` over the gateway's
WebSocket, answering the value or raising `Rejected` with the message the frontend would see,
and `listen(event)` collecting the events in Tauri's envelope."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import aiohttp


class Rejected(Exception):
    """The promise was rejected; `str()` is its message, `body` the gateway's error object."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.body = body


class TauriSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            message = json.loads(frame.data)
            if message.get("type") == "tauri-event":
                self.events.append(message)
                continue
            future = self._waiting.pop(str(message.get("id")), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def request(self, message: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        request_id = str(next(self._ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        await self.ws.send_json({"id": request_id, **message})
        return await asyncio.wait_for(future, timeout)

    async def invoke(self, command: str, args: Any = None, timeout: float = 60.0) -> Any:
        message: dict[str, Any] = {"type": "invoke", "command": command}
        if args is not None:
            message["args"] = args
        reply = await self.request(message, timeout)
        if reply["type"] == "error":
            raise Rejected(reply["error"])
        assert reply["type"] == "result", reply
        return reply["data"]

    async def listen(self, event: str) -> int:
        reply = await self.request({"type": "listen", "event": event})
        assert reply["type"] == "listening", reply
        return int(reply["listener"])

    def payloads(self, event: str) -> list[Any]:
        return [e["payload"] for e in self.events if e["event"] == event]

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
