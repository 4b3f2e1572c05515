"""Terminal job events survive a NATS restart (issue 15 item 13): a job that completes while the
server is down still reaches a subscriber that reconnects after the publisher did, exactly once.
A real nats-server is stopped and started again on the same port and store."""

from __future__ import annotations

import asyncio

import nats
import pytest
from svckit.bus import NatsBus
from svckit.events import new_event, subject
from svckit.testing import NatsServer, wait_until
from tstudio.events.v1 import events_pb2


def _completed(job: str) -> tuple[str, events_pb2.Event]:
    name = subject("compiler", "render", job, "completed")
    return name, new_event("compiler", name, completed=events_pb2.JobCompleted(job_id=job))


async def _slow_to_reconnect(url: str) -> NatsBus:
    # Back later than the publisher (0.5 s): today, the publisher's buffered event is flushed
    # before this subscriber has subscribed again.
    connection = await nats.connect(
        url, name="late-subscriber", max_reconnect_attempts=-1, reconnect_time_wait=3.0
    )
    return NatsBus(connection)


@pytest.mark.parametrize("pattern", ["tstudio.compiler.render.*.completed", "tstudio.compiler.>"])
async def test_a_job_completed_during_an_outage_reaches_a_late_reconnecting_subscriber(pattern: str) -> None:
    with NatsServer(jetstream=True) as server:
        publisher = await NatsBus.connect(server.url, name="compiler")
        subscriber = await _slow_to_reconnect(server.url)
        got: list[str] = []

        async def handler(event: events_pb2.Event) -> None:
            got.append(event.completed.job_id)

        await subscriber.subscribe(pattern, handler)
        try:
            await publisher.publish(*_completed("before"))
            assert await asyncio.to_thread(wait_until, lambda: "before" in got, 30)

            await asyncio.to_thread(server.stop)
            await publisher.publish(*_completed("during"))
            await asyncio.to_thread(server.start)

            assert await asyncio.to_thread(wait_until, lambda: "during" in got, 60), got
            await publisher.publish(*_completed("after"))
            assert await asyncio.to_thread(wait_until, lambda: "after" in got, 30), got
            assert sorted(got) == ["after", "before", "during"], got
        finally:
            await publisher.close()
            await subscriber.close()


async def test_progress_events_stay_core_only_and_are_not_stored() -> None:
    with NatsServer(jetstream=True) as server:
        bus = await NatsBus.connect(server.url)
        try:
            name = subject("compiler", "render", "j1", "progress")
            await bus.publish(name, new_event("compiler", name, progress=events_pb2.JobProgress(job_id="j1")))
            await bus.publish(*_completed("j1"))
            await bus.retained.flush()
            info = await bus.jetstream.stream_info("TSTUDIO_TERMINAL_EVENTS")
            assert info.state.messages == 1
        finally:
            await bus.close()


async def test_without_jetstream_events_are_core_only() -> None:
    with NatsServer(jetstream=False) as server:
        bus = await NatsBus.connect(server.url)
        got: list[str] = []

        async def handler(event: events_pb2.Event) -> None:
            got.append(event.completed.job_id)

        try:
            await bus.subscribe("tstudio.compiler.render.*.completed", handler)
            await bus.publish(*_completed("core"))
            assert await asyncio.to_thread(wait_until, lambda: got == ["core"], 30)
        finally:
            await bus.close()
