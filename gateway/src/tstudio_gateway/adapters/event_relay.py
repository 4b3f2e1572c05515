"""Events from the bus to the gateway's clients, as JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf import json_format
from svckit.bus import EventBus, Subscription
from svckit.errors import FailedPrecondition
from tstudio.events.v1 import events_pb2

from tstudio_gateway.domain.subjects import check_subject_pattern

JsonHandler = Callable[[dict[str, Any]], Awaitable[None]]


def event_json(event: events_pb2.Event) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(event, preserving_proto_field_name=True)
    return result


class EventRelay:
    """Subscribes clients to subjects on the bus; without a bus, subscribing is refused."""

    def __init__(self, bus: EventBus | None) -> None:
        self.bus = bus

    async def subscribe(self, pattern: str, handler: JsonHandler) -> Subscription:
        check_subject_pattern(pattern)
        if self.bus is None:
            raise FailedPrecondition(
                "the event relay is off: the gateway has no NATS url (GATEWAY_NATS_URL)",
                reason="EVENTS_DISABLED",
            )

        async def deliver(event: events_pb2.Event) -> None:
            await handler(event_json(event))

        return await self.bus.subscribe(pattern, deliver)

    async def close(self) -> None:
        if self.bus is not None:
            await self.bus.close()
