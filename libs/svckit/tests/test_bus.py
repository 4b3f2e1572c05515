import asyncio

import pytest
from opentelemetry import trace
from svckit.bus import InProcessBus, NatsBus, subject_matches
from svckit.events import new_event, subject
from svckit.telemetry import setup_tracing
from svckit.testing import NatsServer
from tstudio.events.v1 import events_pb2


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("tstudio.media.probe.*.completed", "tstudio.media.probe.42.completed", True),
        ("tstudio.media.>", "tstudio.media.probe.42.completed", True),
        ("tstudio.media.>", "tstudio.media", False),
        ("tstudio.*.probe", "tstudio.media.probe.1", False),
        ("tstudio.compiler.render.1.*", "tstudio.compiler.render.1.progress", True),
    ],
)
def test_subject_wildcards_follow_nats_rules(pattern: str, name: str, expected: bool) -> None:
    assert subject_matches(pattern, name) is expected


def test_subject_rejects_tokens_that_would_break_routing() -> None:
    with pytest.raises(ValueError):
        subject("media", "probe", "a.b", "completed")


def _progress_event(name: str) -> events_pb2.Event:
    return new_event("test", name, progress=events_pb2.JobProgress(job_id="j1"))


async def test_in_process_bus_delivers_to_matching_subscribers_only() -> None:
    bus = InProcessBus()
    got: list[str] = []
    done = asyncio.Event()

    async def handler(event: events_pb2.Event) -> None:
        got.append(event.subject)
        done.set()

    await bus.subscribe("tstudio.compiler.render.*.progress", handler)
    await bus.publish("tstudio.media.probe.1.completed", _progress_event("tstudio.media.probe.1.completed"))
    name = subject("compiler", "render", "j1", "progress")
    await bus.publish(name, _progress_event(name))
    await asyncio.wait_for(done.wait(), 2)
    await bus.close()
    assert got == [name]


async def test_nats_bus_carries_events_and_trace_context() -> None:
    setup_tracing("svckit-test")
    tracer = trace.get_tracer("test")
    with NatsServer() as server:
        publisher = await NatsBus.connect(server.url)
        subscriber = await NatsBus.connect(server.url)
        received: asyncio.Queue[tuple[events_pb2.Event, str]] = asyncio.Queue()

        async def handler(event: events_pb2.Event) -> None:
            trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
            await received.put((event, trace_id))

        await subscriber.subscribe("tstudio.compiler.render.*.progress", handler)
        await subscriber.nc.flush()
        name = subject("compiler", "render", "j7", "progress")
        with tracer.start_as_current_span("publish") as span:
            sent_trace = format(span.get_span_context().trace_id, "032x")
            await publisher.publish(name, _progress_event(name))
        event, handler_trace = await asyncio.wait_for(received.get(), 5)
        assert event.progress.job_id == "j1"
        assert event.subject == name
        assert event.type == "tstudio.compiler.render.progress"
        assert handler_trace == sent_trace
        assert sent_trace in event.traceparent
        await publisher.close()
        await subscriber.close()


async def test_jetstream_key_value_round_trip() -> None:
    with NatsServer() as server:
        bus = await NatsBus.connect(server.url)
        kv = await bus.key_value("JOBS")
        await kv.put("job-1", b"running")
        assert (await kv.get("job-1")).value == b"running"
        await bus.ensure_stream("WORK", ["tstudio.work.>"])
        await bus.ensure_stream("WORK", ["tstudio.work.>"])
        await bus.close()


async def test_json_logs_carry_the_trace_id() -> None:
    import io
    import json
    import logging

    from svckit.json_logging import JsonFormatter

    setup_tracing("svckit-test")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    logger = logging.getLogger("svckit.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with trace.get_tracer("t").start_as_current_span("work") as span:
        logger.info("rendering %s", "clip")
        expected = format(span.get_span_context().trace_id, "032x")
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "rendering clip"
    assert entry["trace_id"] == expected
    assert entry["service"] == "test"
