"""Terminal job events (`completed`, `failed`) that survive a NATS outage (issue 15 item 13).

Events go out on core NATS subjects, which keep nothing: a job that finishes while the server is
restarting publishes into the client's reconnect buffer, and the buffer is flushed the moment the
publisher is back, before a subscriber that reconnects later has subscribed again. So terminal
events also go, acknowledged, into one JetStream stream under `tstudio-retained.<subject>`:

- the publisher retries that acknowledged publish (in the background; the caller is not held) until
  the server takes it, with the event id as `Nats-Msg-Id`, so retries are stored once;
- a subscriber whose pattern can match terminal events also follows the stream with an ordered
  consumer, which resumes after the last sequence it saw when the connection comes back, and
  hands over events it has not delivered already (by event id; the same event arrives by both
  ways when there is no outage) that were published after it subscribed.

The `tstudio-retained.` prefix keeps the copies out of every `tstudio.>` subscription and keeps the
stream's subjects clear of the render queue's streams. Without JetStream on the server, events
are core-only, as before (logged once).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tstudio.events.v1 import events_pb2

log = logging.getLogger(__name__)

STREAM = "TSTUDIO_TERMINAL_EVENTS"
PREFIX = "tstudio-retained."
TERMINAL_PAYLOADS = frozenset({"completed", "failed"})
# How long the server keeps them, and how long a publisher keeps trying through an outage.
RETENTION_SECONDS = 3600.0
PUBLISH_GIVE_UP_SECONDS = 600.0
MAX_STREAM_BYTES = 64 * 1024 * 1024
# Consumer heartbeats: a consumer lost with a restarted server is recreated within two of them.
HEARTBEAT_SECONDS = 1.0
# Events published before a subscription started (less this much clock skew) are not replayed.
SKEW_SECONDS = 5.0

Deliver = Callable[[events_pb2.Event, dict[str, str]], Awaitable[None]]


def is_terminal(event: events_pb2.Event) -> bool:
    return event.WhichOneof("payload") in TERMINAL_PAYLOADS


def may_carry_terminal(pattern: str) -> bool:
    """Whether a subscription pattern can match a terminal event's subject."""
    if not pattern.startswith("tstudio."):
        return False
    last = pattern.rsplit(".", 1)[-1]
    return last in {"completed", "failed", "*", ">"}


class SeenIds:
    """The last `size` event ids delivered to one subscription."""

    def __init__(self, size: int = 4096) -> None:
        self._order: collections.deque[str] = collections.deque()
        self._ids: set[str] = set()
        self._size = size

    def add(self, event_id: str) -> bool:
        """True the first time an id is seen."""
        if not event_id:
            return True
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True


class RetainedEvents:
    """The stream side of one NATS connection: acknowledged publishes and ordered consumers."""

    def __init__(self, connection: Any) -> None:
        self._nc = connection
        self._stream_ready = False
        self._unavailable_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def _js(self) -> Any:
        return self._nc.jetstream()

    async def ensure_stream(self) -> bool:
        """Create the stream when missing; False (for a minute) when the server has no JetStream."""
        if self._stream_ready:
            return True
        if time.monotonic() < self._unavailable_until:
            return False
        from nats.js.api import DiscardPolicy, StorageType, StreamConfig

        config = StreamConfig(
            name=STREAM,
            subjects=[PREFIX + ">"],
            storage=StorageType.FILE,
            max_age=RETENTION_SECONDS,
            max_bytes=MAX_STREAM_BYTES,
            discard=DiscardPolicy.OLD,
            duplicate_window=PUBLISH_GIVE_UP_SECONDS,
        )
        try:
            try:
                await self._js.add_stream(config)
            except Exception:
                await self._js.update_stream(config)
        except Exception as exc:
            if self._nc.is_connected:
                log.warning(
                    "no JetStream stream for terminal events (%s): they are not kept across outages", exc
                )
                self._unavailable_until = time.monotonic() + 60.0
            return False
        self._stream_ready = True
        return True

    def publish(self, subject: str, payload: bytes, headers: dict[str, str], event_id: str) -> None:
        """Store a terminal event in the stream, retrying in the background through an outage."""
        task = asyncio.create_task(
            self._publish(PREFIX + subject, payload, {**headers, "Nats-Msg-Id": event_id})
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        from nats.js.errors import NoStreamResponseError

        deadline = time.monotonic() + PUBLISH_GIVE_UP_SECONDS
        while time.monotonic() < deadline:
            if self._nc.is_closed:
                break
            try:
                if self._nc.is_connected and not await self.ensure_stream():
                    return
                await self._js.publish(subject, payload, timeout=2.0, headers=headers)
                return
            except NoStreamResponseError:
                self._stream_ready = False  # a server that lost its store: create it again
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # timeouts and connection errors while the server is away
                log.debug("terminal event %s not stored yet: %s", subject, exc)
            await asyncio.sleep(0.5)
        log.warning("gave up storing terminal event %s", subject)

    async def follow(self, pattern: str, deliver: Deliver, seen: SeenIds) -> Any:
        """An ordered consumer on the stored copies of `pattern`, or None without JetStream."""
        from nats.js.api import DeliverPolicy

        if not await self.ensure_stream():
            return None
        started = time.time() - SKEW_SECONDS

        async def on_message(msg: Any) -> None:
            try:
                event = events_pb2.Event.FromString(msg.data)
            except Exception:
                return
            # A recreated consumer may start from the stream's beginning: only what this
            # subscription could have missed is handed over.
            if event.HasField("time") and event.time.seconds + event.time.nanos / 1e9 < started:
                return
            if seen.add(event.id):
                await deliver(event, dict(msg.headers or {}))

        try:
            return await self._js.subscribe(
                PREFIX + pattern,
                cb=on_message,
                stream=STREAM,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
                idle_heartbeat=HEARTBEAT_SECONDS,
            )
        except Exception as exc:
            log.warning("cannot follow stored terminal events of %s: %s", pattern, exc)
            return None

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait a little for stores still in flight (at shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
