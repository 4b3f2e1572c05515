"""The event bus: one interface, two implementations.

`InProcessBus` is the embedded default (one process, unit tests). `NatsBus` speaks to a real
nats-server: core subjects for events, JetStream streams and key-value buckets for work that must
not be lost. Both carry the W3C trace context so a subscriber's work joins the publisher's trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

from opentelemetry import trace
from tstudio.events.v1 import events_pb2

from svckit.retained_events import RetainedEvents, SeenIds, is_terminal, may_carry_terminal
from svckit.telemetry import extract_context, inject_headers

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

Handler = Callable[[events_pb2.Event], Awaitable[None]]


class Subscription(Protocol):
    async def unsubscribe(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, subject: str, event: events_pb2.Event) -> None: ...

    async def subscribe(self, pattern: str, handler: Handler) -> Subscription: ...

    async def close(self) -> None: ...


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard semantics: `*` matches one token, a final `>` one or more."""
    pattern_tokens = pattern.split(".")
    subject_tokens = subject.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens):
            return False
        if token != "*" and token != subject_tokens[index]:
            return False
    return len(pattern_tokens) == len(subject_tokens)


def _messaging_attributes(system: str, event: events_pb2.Event) -> dict[str, str]:
    return {
        "messaging.system": system,
        "messaging.destination.name": event.subject,
        "messaging.message.id": event.id,
    }


@contextlib.contextmanager
def _publishing(system: str, event: events_pb2.Event) -> Iterator[dict[str, str]]:
    """A producer span for one publish; yields the headers that make subscribers its children."""
    # Named by the event type, not the subject, so span names stay few (the subject holds an id).
    with _tracer.start_as_current_span(
        f"publish {event.type}", kind=trace.SpanKind.PRODUCER, attributes=_messaging_attributes(system, event)
    ):
        yield inject_headers()


async def _deliver(
    system: str, handler: Handler, event: events_pb2.Event, headers: dict[str, str] | None
) -> None:
    with _tracer.start_as_current_span(
        f"receive {event.type}",
        context=extract_context(headers),
        kind=trace.SpanKind.CONSUMER,
        attributes=_messaging_attributes(system, event),
    ):
        try:
            await handler(event)
        except Exception:
            log.exception("event handler failed for %s", event.subject)


class _InProcessSubscription:
    def __init__(self, bus: InProcessBus, pattern: str, handler: Handler) -> None:
        self._bus, self.pattern, self.handler = bus, pattern, handler

    async def unsubscribe(self) -> None:
        self._bus._subscriptions.discard(self)


class InProcessBus:
    """Delivers events to subscribers in this process, each handler in its own task."""

    def __init__(self) -> None:
        self._subscriptions: set[_InProcessSubscription] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def publish(self, subject: str, event: events_pb2.Event) -> None:
        # A copy per subscriber, as a network bus would give, so no handler can change another's.
        payload = event.SerializeToString()
        with _publishing("in-process", event) as headers:
            for sub in list(self._subscriptions):
                if subject_matches(sub.pattern, subject):
                    task = asyncio.create_task(
                        _deliver("in-process", sub.handler, events_pb2.Event.FromString(payload), headers)
                    )
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

    async def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        sub = _InProcessSubscription(self, pattern, handler)
        self._subscriptions.add(sub)
        return sub

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._subscriptions.clear()


class _NatsSubscription:
    def __init__(self, sub: Any, retained: Any = None) -> None:
        self._sub = sub
        self._retained = retained

    async def unsubscribe(self) -> None:
        await self._sub.unsubscribe()
        if self._retained is not None:
            with contextlib.suppress(Exception):
                await self._retained.unsubscribe()


class NatsBus:
    """Events over a real NATS connection (nats-py)."""

    def __init__(self, connection: Any) -> None:
        self.nc = connection
        # Terminal events (completed, failed) also go through a JetStream stream; see retained_events.
        self.retained = RetainedEvents(connection)

    @classmethod
    async def connect(cls, url: str, name: str = "tstudio") -> NatsBus:
        import nats

        async def on_error(exc: Exception) -> None:
            log.warning("NATS error: %s", exc)

        async def on_reconnect() -> None:
            log.info("NATS reconnected")

        connection = await nats.connect(
            servers=[u.strip() for u in url.split(",")],
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            error_cb=on_error,
            reconnected_cb=on_reconnect,
        )
        return cls(connection)

    async def publish(self, subject: str, event: events_pb2.Event) -> None:
        with _publishing("nats", event) as headers:
            payload = event.SerializeToString()
            if is_terminal(event):
                # First, so an outage that makes the core publish fail still stores it.
                self.retained.publish(subject, payload, headers, event.id)
            await self.nc.publish(subject, payload, headers=headers or None)

    async def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        seen = SeenIds()

        async def deliver(event: events_pb2.Event, headers: dict[str, str]) -> None:
            await _deliver("nats", handler, event, headers)

        async def on_message(msg: Any) -> None:
            try:
                event = events_pb2.Event.FromString(msg.data)
            except Exception:
                log.warning("dropping a message on %s that is not an Event", msg.subject)
                return
            if seen.add(event.id):
                await deliver(event, dict(msg.headers or {}))

        core = await self.nc.subscribe(pattern, cb=on_message)
        retained = None
        if may_carry_terminal(pattern):
            retained = await self.retained.follow(pattern, deliver, seen)
        return _NatsSubscription(core, retained)

    @property
    def jetstream(self) -> Any:
        return self.nc.jetstream()

    async def ensure_stream(self, name: str, subjects: list[str], **config: Any) -> Any:
        """Create the stream, or update it to this config when it exists."""
        from nats.js.api import StreamConfig

        js = self.jetstream
        stream_config = StreamConfig(name=name, subjects=subjects, **config)
        try:
            return await js.add_stream(stream_config)
        except Exception:
            return await js.update_stream(stream_config)

    async def key_value(self, bucket: str, **config: Any) -> Any:
        """Open a KV bucket, creating it when missing."""
        from nats.js.errors import BucketNotFoundError

        js = self.jetstream
        try:
            return await js.key_value(bucket)
        except BucketNotFoundError:
            return await js.create_key_value(bucket=bucket, **config)

    async def close(self) -> None:
        await self.retained.flush()
        if not self.nc.is_closed:
            await self.nc.drain()


async def connect_bus(url: str, name: str = "tstudio") -> EventBus:
    """NATS when `url` is set, else the in-process bus."""
    if url:
        return await NatsBus.connect(url, name=name)
    return InProcessBus()
