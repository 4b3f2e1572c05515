"""Events from the bus to the gateway's clients, as JSON.

Clients watching the same subject pattern share one bus subscription, and each event is turned into
JSON once, however many clients receive it: with 100 WebSocket subscribers that is one decode, one
conversion and one trace span per event instead of a hundred. Delivery to a client is a
non-blocking hand-off (`sink`), so one slow client cannot hold up the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from svckit.bus import EventBus, Subscription
from svckit.errors import FailedPrecondition
from tstudio.events.v1 import events_pb2

from tstudio_gateway.adapters.proto_json import message_to_dict
from tstudio_gateway.domain.subjects import check_subject_pattern

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayedEvent:
    subject: str
    type: str
    id: str
    json_text: str  # the Event envelope as proto3 JSON, encoded once for every receiver


Sink = Callable[[RelayedEvent], None]


def event_json(event: events_pb2.Event) -> dict[str, Any]:
    result: dict[str, Any] = message_to_dict(event)
    return result


@dataclass
class _Topic:
    pattern: str
    sinks: set[Sink] = field(default_factory=set)
    subscription: Subscription | None = None


class RelaySubscription:
    def __init__(self, relay: EventRelay, pattern: str, sink: Sink) -> None:
        self._relay, self._pattern, self._sink = relay, pattern, sink

    async def unsubscribe(self) -> None:
        await self._relay._remove(self._pattern, self._sink)


class EventRelay:
    """Subscribes clients to subjects on the bus; without a bus, subscribing is refused."""

    def __init__(self, bus: EventBus | None) -> None:
        self.bus = bus
        self._topics: dict[str, _Topic] = {}
        # Adding the first and removing the last client of a pattern talk to the bus; serialise them.
        self._lock = asyncio.Lock()

    async def subscribe(self, pattern: str, sink: Sink) -> RelaySubscription:
        check_subject_pattern(pattern)
        if self.bus is None:
            raise FailedPrecondition(
                "the event relay is off: the gateway has no NATS url (GATEWAY_NATS_URL)",
                reason="EVENTS_DISABLED",
            )
        async with self._lock:
            topic = self._topics.get(pattern)
            if topic is None:
                topic = _Topic(pattern)
                topic.subscription = await self.bus.subscribe(pattern, self._fan_out(topic))
                self._topics[pattern] = topic
            topic.sinks.add(sink)
        return RelaySubscription(self, pattern, sink)

    def _fan_out(self, topic: _Topic) -> Callable[[events_pb2.Event], Any]:
        async def deliver(event: events_pb2.Event) -> None:
            relayed = RelayedEvent(
                subject=event.subject,
                type=event.type,
                id=event.id,
                json_text=json.dumps(event_json(event), separators=(",", ":"), ensure_ascii=False),
            )
            sinks = list(topic.sinks)
            for sink in sinks:
                try:
                    sink(relayed)
                except Exception:
                    log.exception("event sink failed for %s", event.subject)
            # Runs inside the bus's receive span, so this line carries the publisher's trace id.
            log.debug("relayed %s to %d clients", event.subject, len(sinks))

        return deliver

    async def _remove(self, pattern: str, sink: Sink) -> None:
        async with self._lock:
            topic = self._topics.get(pattern)
            if topic is None:
                return
            topic.sinks.discard(sink)
            if not topic.sinks:
                del self._topics[pattern]
                if topic.subscription is not None:
                    await topic.subscription.unsubscribe()

    def client_count(self) -> int:
        return sum(len(topic.sinks) for topic in self._topics.values())

    async def close(self) -> None:
        if self.bus is not None:
            await self.bus.close()
