"""The relay shares one bus subscription per pattern and encodes each event once."""

from __future__ import annotations

import asyncio
import json

from svckit.bus import InProcessBus
from svckit.events import new_event
from tstudio.events.v1 import events_pb2
from tstudio_gateway.adapters.event_relay import EventRelay, RelayedEvent

SUBJECT = "tstudio.compiler.render.job1.progress"


async def publish(bus: InProcessBus, percent: float) -> None:
    progress = events_pb2.JobProgress(job_id="job1")
    progress.progress.percent = percent
    await bus.publish(SUBJECT, new_event("compiler", SUBJECT, progress=progress))
    await asyncio.sleep(0.05)  # in-process delivery runs in tasks


async def test_clients_of_one_pattern_share_a_bus_subscription() -> None:
    bus = InProcessBus()
    relay = EventRelay(bus)
    first: list[RelayedEvent] = []
    second: list[RelayedEvent] = []
    sub1 = await relay.subscribe("tstudio.compiler.render.*.*", first.append)
    sub2 = await relay.subscribe("tstudio.compiler.render.*.*", second.append)
    assert len(bus._subscriptions) == 1 and relay.client_count() == 2
    await publish(bus, 10)
    assert len(first) == len(second) == 1
    assert first[0] is second[0]  # encoded once, handed to both
    body = json.loads(first[0].json_text)
    assert body["subject"] == SUBJECT and body["progress"]["progress"]["percent"] == 10
    assert first[0].type == "tstudio.compiler.render.progress"
    await sub1.unsubscribe()
    await publish(bus, 20)
    assert len(first) == 1 and len(second) == 2
    await sub2.unsubscribe()
    assert not bus._subscriptions and relay.client_count() == 0
    await relay.close()


async def test_a_failing_client_does_not_stop_the_others() -> None:
    bus = InProcessBus()
    relay = EventRelay(bus)
    received: list[RelayedEvent] = []

    def broken(event: RelayedEvent) -> None:
        raise RuntimeError("client gone")

    await relay.subscribe("tstudio.>", broken)
    await relay.subscribe("tstudio.>", received.append)
    await publish(bus, 50)
    assert len(received) == 1
    await relay.close()
