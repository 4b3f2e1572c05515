"""Server-Sent Events at `/api/v1/events?subject=...`, for clients without WebSockets.

Each event is written as `event: <type>`, `id: <event id>`, `data: <JSON>`; a first `subscribed`
event tells the client the subscription is live, and comments keep idle connections open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from svckit.errors import FieldViolation, InvalidArgument

from tstudio_gateway.adapters.event_relay import EventRelay, RelayedEvent
from tstudio_gateway.api.json_input import json_bytes
from tstudio_gateway.api.middleware import CALLER
from tstudio_gateway.domain.scopes import require_scopes, subject_scopes

log = logging.getLogger(__name__)

# Events beyond this many waiting for a slow client are dropped (and counted) rather than
# letting one client hold unbounded memory.
QUEUE_LIMIT = 1000


class SseRoutes:
    def __init__(self, relay: EventRelay, heartbeat_seconds: float) -> None:
        self.relay = relay
        self.heartbeat_seconds = heartbeat_seconds

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/events", self.events)

    async def events(self, request: web.Request) -> web.StreamResponse:
        subject = request.query.get("subject")
        if not subject:
            raise InvalidArgument(
                "the subject query parameter is required",
                field_violations=[FieldViolation("subject", "a pattern such as tstudio.compiler.render.*.*")],
            )
        require_scopes(request[CALLER].scopes, subject_scopes(subject), f"subscribing to {subject}")
        queue: asyncio.Queue[RelayedEvent] = asyncio.Queue(QUEUE_LIMIT)
        dropped = 0

        def enqueue(event: RelayedEvent) -> None:
            nonlocal dropped
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                dropped += 1

        subscription = await self.relay.subscribe(subject, enqueue)
        try:
            response = web.StreamResponse(
                headers={
                    "Content-Type": "text/event-stream",
                    "Cache-Control": "no-cache",
                    "X-Accel-Buffering": "no",
                }
            )
            await response.prepare(request)
            await response.write(b"event: subscribed\ndata: " + json_bytes({"subject": subject}) + b"\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), self.heartbeat_seconds)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                await response.write(_frame(event))
        except ConnectionResetError:
            pass
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
            if dropped:
                log.warning("SSE client on %s was too slow; %d events dropped", subject, dropped)
        return response


def _frame(event: RelayedEvent) -> bytes:
    # Line breaks would end an SSE field early; the JSON text itself never contains a raw one.
    kind = (event.type or "event").replace("\n", " ")
    event_id = event.id.replace("\n", " ")
    return f"event: {kind}\nid: {event_id}\ndata: {event.json_text}\n\n".encode()
