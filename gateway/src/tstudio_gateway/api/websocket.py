"""WebSocket `/api/v1/ws`: invoke commands (streaming ones message by message) and subscribe to
event subjects, many at once over one connection.

Client -> gateway (JSON text frames):
  {"id": "1", "type": "invoke", "command": "compile_video", "args": {...}, "timeout_seconds": 60}
      (an optional "traceparent": "00-<trace>-<span>-01" makes the command part of the client's trace)
  {"id": "2", "type": "subscribe", "subject": "tstudio.compiler.render.*.progress"}
  {"id": "3", "type": "unsubscribe", "subscription": "2"}
  {"id": "4", "type": "cancel", "target": "1"}
  {"id": "5", "type": "listen", "event": "media-processor"}          (Tauri events, timeline_studio/)
  {"id": "6", "type": "unlisten", "listener": 1} / {"id": "7", "type": "emit", "event": "e", "payload": ...}
Gateway -> client:
  {"id": "1", "type": "result", "data": {...}}                         (unary command)
  {"id": "1", "type": "message", "data": {...}} ... {"id": "1", "type": "end"}   (streaming)
  {"id": "2", "type": "subscribed", "subject": "..."}
  {"type": "event", "subscription": "2", "subject": "...", "event": {...}}
  {"id": "3", "type": "unsubscribed"} / {"id": "4", "type": "cancelled"}
  {"id": "...", "type": "error", "error": {...}}                        (same body as HTTP)
  {"id": "5", "type": "listening", "event": "...", "listener": 1}
  {"type": "tauri-event", "event": "media-processor", "id": 1, "payload": {...}}   (Tauri's envelope)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web
from svckit.errors import (
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    ServiceError,
)
from svckit.telemetry import current_trace_id

from tstudio_gateway.adapters.event_relay import EventRelay, RelayedEvent, RelaySubscription, Sink
from tstudio_gateway.api.errors import error_body
from tstudio_gateway.api.invoker import Invoker
from tstudio_gateway.api.json_input import decode_json, json_text
from tstudio_gateway.api.middleware import CALLER
from tstudio_gateway.api.tracing import command_span, record_failure
from tstudio_gateway.domain.auth import Caller
from tstudio_gateway.domain.rate_limit import RateLimiter
from tstudio_gateway.domain.scopes import require_scopes, subject_scopes
from tstudio_gateway.timeline_studio.registry import TauriCommand
from tstudio_gateway.timeline_studio.tauri_events import valid_event_name

log = logging.getLogger(__name__)

EVENT_QUEUE_LIMIT = 1000
# Per connection; the rate limit bounds how fast work starts, these bound how much is held at once.
MAX_RUNNING_INVOKES = 64
MAX_SUBSCRIPTIONS = 100


class WebSocketRoutes:
    def __init__(
        self,
        invoker: Invoker,
        relay: EventRelay,
        limiter: RateLimiter,
        max_message_bytes: int,
        heartbeat_seconds: float,
        command_spans: bool = True,
        origin_allowed: Callable[[str | None], bool] | None = None,
    ) -> None:
        self.invoker = invoker
        # Browsers always send Origin on a WebSocket handshake and CORS does not apply to it, so
        # the gateway checks it here; clients that are not browsers send none and pass.
        self.origin_allowed = origin_allowed
        self.command_spans = command_spans
        self.relay = relay
        self.limiter = limiter
        self.max_message_bytes = max_message_bytes
        self.heartbeat_seconds = heartbeat_seconds

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/ws", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and self.origin_allowed is not None and not self.origin_allowed(origin):
            raise PermissionDenied(
                f"WebSocket connections from {origin[:100]!r} are not allowed (GATEWAY_CORS_ORIGINS)",
                reason="ORIGIN_NOT_ALLOWED",
            )
        ws = web.WebSocketResponse(heartbeat=self.heartbeat_seconds, max_msg_size=self.max_message_bytes)
        await ws.prepare(request)
        session = _Session(ws, self, request[CALLER])
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    await session.receive(frame.data)
                elif frame.type == WSMsgType.BINARY:
                    await session.send_error(
                        None, InvalidArgument("send JSON text frames", reason="BINARY_FRAME")
                    )
        finally:
            await session.close()
        return ws


class _Session:
    """One connection's running invocations and subscriptions."""

    def __init__(self, ws: web.WebSocketResponse, routes: WebSocketRoutes, caller: Caller) -> None:
        self.ws = ws
        self.routes = routes
        self.caller = caller
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.subscriptions: dict[str, RelaySubscription] = {}
        # Tauri event listeners (listen/unlisten/emit): listener id -> event name.
        self.listeners: dict[int, str] = {}
        self.tauri_events = routes.invoker.tauri_events()
        # One frame at a time: results, stream messages and events come from many tasks.
        self._send_lock = asyncio.Lock()
        # Events wait here for this client alone; a client too slow to take them loses the
        # overflow (counted and logged) instead of slowing the relay for everyone.
        self._events: asyncio.Queue[str] = asyncio.Queue(EVENT_QUEUE_LIMIT)
        self._dropped = 0
        self._writer = asyncio.create_task(self._write_events())

    async def send(self, message: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        async with self._send_lock:
            with contextlib.suppress(ConnectionResetError):
                await self.ws.send_str(json_text(message))

    async def send_error(self, request_id: str | None, error: ServiceError) -> None:
        await self.send({"id": request_id, "type": "error", **error_body(error)})

    async def receive(self, data: str) -> None:
        request_id: str | None = None
        try:
            message = decode_json(data, "the message")
            if not isinstance(message, dict):
                raise InvalidArgument("a message must be a JSON object", reason="INVALID_MESSAGE")
            request_id = _request_id(message.get("id"))
            self.routes.limiter.check(self.caller.id)
            kind = message.get("type")
            if kind == "invoke":
                self._start_invoke(request_id, message)
            elif kind == "subscribe":
                await self._subscribe(request_id, message)
            elif kind == "unsubscribe":
                await self._unsubscribe(request_id, message)
            elif kind == "cancel":
                await self._cancel(request_id, message)
            elif kind in ("listen", "unlisten", "emit"):
                handler = {"listen": self._listen, "unlisten": self._unlisten, "emit": self._emit}[kind]
                await self.send(handler(request_id, message))
            elif kind == "ping":
                await self.send({"id": request_id, "type": "pong"})
            else:
                raise InvalidArgument(
                    f"unknown message type {kind!r}",
                    reason="INVALID_MESSAGE",
                    field_violations=[
                        FieldViolation(
                            "type",
                            "one of invoke, subscribe, unsubscribe, cancel, listen, unlisten, emit, ping",
                        )
                    ],
                )
        except ServiceError as exc:
            await self.send_error(request_id, exc)
        except Exception:
            # A defect of ours must not close the client's socket (aiohttp would answer it as an
            # HTTP 500 written into the open connection): the client gets an error frame.
            trace_id = current_trace_id()
            log.exception("websocket message failed (trace %s)", trace_id)
            await self.send({"id": request_id, "type": "error", "error": _internal(trace_id)})

    def _start_invoke(self, request_id: str | None, message: dict[str, Any]) -> None:
        if not request_id:
            raise _required("id", "an invoke needs an id to answer to")
        if request_id in self.tasks:
            raise InvalidArgument(f"id {request_id!r} is still running", reason="DUPLICATE_ID")
        if len(self.tasks) >= MAX_RUNNING_INVOKES:
            raise ResourceExhausted(
                f"{MAX_RUNNING_INVOKES} commands are already running on this connection",
                reason="TOO_MANY_RUNNING",
            )
        name = message.get("command")
        if not isinstance(name, str) or not name:
            raise _required("command", "the command name")
        translated = self.routes.invoker.translated(name)
        if translated is not None:
            task = asyncio.create_task(self._translated(request_id, translated, message.get("args")))
            self.tasks[request_id] = task
            task.add_done_callback(lambda _: self.tasks.pop(request_id, None))
            return
        command = self.routes.invoker.resolve(name, self.caller)
        timeout = message.get("timeout_seconds")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise InvalidArgument(
                "timeout_seconds must be a number",
                field_violations=[FieldViolation("timeout_seconds", "must be a number of seconds")],
            )
        task = asyncio.create_task(
            self._invoke(request_id, command, message.get("args"), timeout, message.get("traceparent"))
        )
        self.tasks[request_id] = task
        task.add_done_callback(lambda _: self.tasks.pop(request_id, None))

    async def _invoke(
        self, request_id: str, command: Any, args: Any, timeout: float | None, traceparent: object
    ) -> None:
        if not self.routes.command_spans:
            await self._answer(request_id, command, args, timeout)
            return
        with command_span(command.qualified, traceparent):
            await self._answer(request_id, command, args, timeout)

    async def _answer(self, request_id: str, command: Any, args: Any, timeout: float | None) -> None:
        invoker = self.routes.invoker
        try:
            if command.server_streaming:
                async for data in invoker.stream(command, args, timeout=timeout, caller=self.caller):
                    await self.send({"id": request_id, "type": "message", "data": data})
                await self.send({"id": request_id, "type": "end"})
            else:
                data = await invoker.invoke(command, args, timeout=timeout, caller=self.caller)
                await self.send({"id": request_id, "type": "result", "data": data})
        except ServiceError as exc:
            record_failure(exc)
            await self.send_error(request_id, exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            trace_id = current_trace_id()
            log.exception("websocket invoke %s failed (trace %s)", command.qualified, trace_id)
            await self.send({"id": request_id, "type": "error", "error": _internal(trace_id)})

    async def _translated(self, request_id: str, command: TauriCommand, args: Any) -> None:
        try:
            value = await self.routes.invoker.invoke_translated(command, args, self.caller)
        except ServiceError as exc:
            record_failure(exc)
            await self.send_error(request_id, exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            trace_id = current_trace_id()
            log.exception("websocket invoke %s failed (trace %s)", command.name, trace_id)
            await self.send_error(request_id, Internal(f"internal error (trace {trace_id})"))
        else:
            await self.send({"id": request_id, "type": "result", "data": value})

    def _listen(self, request_id: str | None, message: dict[str, Any]) -> dict[str, Any]:
        """Tauri's listen(): events the translation layer emits under `event` (media-processor)."""
        event = message.get("event")
        if not valid_event_name(event):
            raise InvalidArgument(
                "event must be an event name such as media-processor",
                field_violations=[FieldViolation("event", "letters, digits, '-', '/', ':' or '_'")],
            )
        if len(self.listeners) >= MAX_SUBSCRIPTIONS:
            raise ResourceExhausted(
                f"a connection may hold {MAX_SUBSCRIPTIONS} listeners", reason="TOO_MANY_LISTENERS"
            )
        assert isinstance(event, str)
        listener = self.tauri_events.listen(self.caller.id, event, self._queue_frame)
        self.listeners[listener] = event
        return {"id": request_id, "type": "listening", "event": event, "listener": listener}

    def _unlisten(self, request_id: str | None, message: dict[str, Any]) -> dict[str, Any]:
        listener = message.get("listener")
        event = self.listeners.pop(listener, None) if isinstance(listener, int) else None
        if event is None:
            raise NotFound(f"no listener {listener!r}", reason="NO_SUCH_LISTENER")
        self.tauri_events.unlisten(self.caller.id, event, listener)  # type: ignore[arg-type]
        return {"id": request_id, "type": "unlistened", "listener": listener}

    def _emit(self, request_id: str | None, message: dict[str, Any]) -> dict[str, Any]:
        """Tauri's emit(): to every listener of this caller (its other windows too)."""
        event = message.get("event")
        if not valid_event_name(event):
            raise InvalidArgument(
                "event must be an event name",
                field_violations=[FieldViolation("event", "letters, digits, '-', '/', ':' or '_'")],
            )
        assert isinstance(event, str)
        delivered = self.tauri_events.emit(self.caller.id, event, message.get("payload"))
        return {"id": request_id, "type": "emitted", "event": event, "listeners": delivered}

    def _queue_frame(self, frame: str) -> None:
        try:
            self._events.put_nowait(frame)
        except asyncio.QueueFull:
            self._dropped += 1

    async def _subscribe(self, request_id: str | None, message: dict[str, Any]) -> None:
        if not request_id:
            raise _required("id", "a subscribe needs an id; it names the subscription")
        if request_id in self.subscriptions:
            raise InvalidArgument(f"subscription {request_id!r} exists", reason="DUPLICATE_ID")
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise ResourceExhausted(
                f"a connection may hold {MAX_SUBSCRIPTIONS} subscriptions", reason="TOO_MANY_SUBSCRIPTIONS"
            )
        subject = message.get("subject")
        if not isinstance(subject, str):
            raise _required("subject", "a subject pattern such as tstudio.compiler.render.*.progress")
        require_scopes(self.caller.scopes, subject_scopes(subject), f"subscribing to {subject}")

        self.subscriptions[request_id] = await self.routes.relay.subscribe(subject, self._sink(request_id))
        await self.send({"id": request_id, "type": "subscribed", "subject": subject})

    async def _unsubscribe(self, request_id: str | None, message: dict[str, Any]) -> None:
        target = str(message.get("subscription", ""))
        subscription = self.subscriptions.pop(target, None)
        if subscription is None:
            raise NotFound(f"no subscription {target!r}", reason="NO_SUCH_SUBSCRIPTION")
        await subscription.unsubscribe()
        await self.send({"id": request_id, "type": "unsubscribed", "subscription": target})

    async def _cancel(self, request_id: str | None, message: dict[str, Any]) -> None:
        target = str(message.get("target", ""))
        task = self.tasks.get(target)
        if task is None:
            raise NotFound(f"no running invoke {target!r}", reason="NO_SUCH_INVOKE")
        # Cancelling the task cancels the gRPC call, which the service sees as CANCELLED.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.send({"id": request_id, "type": "cancelled", "target": target})

    def _sink(self, subscription: str) -> Sink:
        # The event's JSON was encoded once by the relay; only this small envelope is per client.
        prefix = '{"type":"event","subscription":' + json.dumps(subscription) + ',"subject":'

        def sink(event: RelayedEvent) -> None:
            frame = prefix + json.dumps(event.subject) + ',"event":' + event.json_text + "}"
            try:
                self._events.put_nowait(frame)
            except asyncio.QueueFull:
                self._dropped += 1

        return sink

    async def _write_events(self) -> None:
        while not self.ws.closed:
            frames = [await self._events.get()]
            # Take whatever else is waiting, so a burst goes out under one lock.
            while not self._events.empty() and len(frames) < 256:
                frames.append(self._events.get_nowait())
            async with self._send_lock:
                try:
                    for frame in frames:
                        await self.ws.send_str(frame)
                except ConnectionResetError:
                    return

    async def close(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        if self._dropped:
            log.warning("a WebSocket client was too slow for its events; %d dropped", self._dropped)
        for task in list(self.tasks.values()):
            task.cancel()
        for task in list(self.tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for listener, event in self.listeners.items():
            self.tauri_events.unlisten(self.caller.id, event, listener)
        self.listeners.clear()
        for subscription in self.subscriptions.values():
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self.subscriptions.clear()


# Ids are echoed in every answer; a client's counter or uuid fits easily.
MAX_ID_CHARS = 128


def _request_id(raw: object) -> str | None:
    """The message's id as text: a string or an integer, at most MAX_ID_CHARS, valid Unicode."""
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) < 10**MAX_ID_CHARS:
        return str(raw)
    if isinstance(raw, str) and len(raw) <= MAX_ID_CHARS:
        try:
            raw.encode()
        except UnicodeEncodeError:
            pass
        else:
            return raw
    raise InvalidArgument(
        "id must be a string or an integer of at most 128 characters",
        reason="INVALID_MESSAGE",
        field_violations=[FieldViolation("id", f"a string or integer, at most {MAX_ID_CHARS} characters")],
    )


def _internal(trace_id: str) -> dict[str, Any]:
    return {
        "code": "INTERNAL",
        "status": 500,
        "message": f"internal error (trace {trace_id})",
        "reason": "INTERNAL",
    }


def _required(field: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"{field} is required", field_violations=[FieldViolation(field, why)])
