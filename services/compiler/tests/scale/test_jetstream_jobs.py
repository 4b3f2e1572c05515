"""Distributed jobs on a real nats-server: workers in one process (asyncio tasks)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import av
import numpy as np
from svckit.bus import NatsBus
from svckit.testing import NatsServer
from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue, QueueConfig
from tstudio_compiler.scale.adapters.jetstream_worker import RenderWorker
from tstudio_compiler.scale.adapters.pattern_renderer import (
    PatternSegmentRenderer,
    encode_pattern_segment,
    pattern_color,
)
from tstudio_compiler.scale.adapters.pyav_joiner import RemuxJoiner
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.adapters.segment_join import join_segments
from tstudio_compiler.scale.domain.job_state import JobStatus
from tstudio_compiler.scale.domain.render_ports import SegmentSpec

T = TypeVar("T")


def job_segments(count: int, frames: int = 10, frame_delay: float = 0.0) -> list[SegmentSpec]:
    return [
        SegmentSpec(
            index=i,
            key=f"{i:064x}",
            description={"frames": frames, "color": [i * 40 % 256, 30, 90], "frame_delay": frame_delay},
        )
        for i in range(count)
    ]


def assert_output_matches_pattern(path: Path, segments: list[SegmentSpec]) -> None:
    """The joined output holds every segment's frames, in order, with the pattern's colours."""
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    expected = [
        pattern_color(s.description["color"], n)
        for s in segments
        for n in range(int(s.description["frames"]))
    ]
    assert len(frames) == len(expected)
    for frame, colour in zip(frames, expected, strict=True):
        assert np.abs(frame[60, 80].astype(int) - np.array(colour)).max() <= 6


async def until(read: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 60) -> T:
    """Poll `read` until `done` holds for its value (the test fails on timeout)."""
    for _ in range(int(timeout / 0.05)):
        value = await read()
        if done(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[NatsBus]:
    bus = await NatsBus.connect(url)
    try:
        yield bus
    finally:
        await bus.nc.close()


@contextlib.asynccontextmanager
async def workers(
    queue: JetStreamRenderQueue, count: int, frame_delay: float = 0.0, cache: SegmentCache | None = None
) -> AsyncIterator[list[RenderWorker]]:
    stop = asyncio.Event()
    pool = [
        RenderWorker(
            queue, PatternSegmentRenderer(frame_delay), RemuxJoiner(), f"w{i}", heartbeat=0.2, cache=cache
        )
        for i in range(count)
    ]
    tasks = [asyncio.create_task(w.run(stop, fetch_timeout=0.3)) for w in pool]
    try:
        yield pool
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)


async def test_three_workers_share_one_job_and_exactly_one_joins(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work"), ack_wait=5))
        await queue.start()
        # A little delay per frame keeps any one worker from taking every task on 2 cores.
        segments = job_segments(9, frame_delay=0.01)
        async with workers(queue, 3) as pool:
            state = await queue.submit(segments, str(tmp_path / "out.mp4"))
            final = await queue.wait_finished(state.job_id, timeout=60)
        assert final.status is JobStatus.SUCCEEDED, final.error
        by_worker = final.segments_by_worker()
        assert sum(by_worker.values()) == 9
        assert len(by_worker) == 3, f"every worker should do some segments: {by_worker}"
        assert sum(w.jobs_joined for w in pool) == 1
        assert final.result is not None and final.result["frames"] == 90
        assert final.result["joined_by"] == final.joiner
        assert_output_matches_pattern(tmp_path / "out.mp4", segments)
        assert await queue.pending_tasks() == 0
        assert not (tmp_path / "work" / state.job_id).exists(), "segment working copies are removed"
    # The same segments rendered and joined in one process give the same frames, bit for bit.
    local = [encode_pattern_segment(tmp_path / "local" / f"{s.index}.mp4", s.description) for s in segments]
    join_segments(local, tmp_path / "local.mp4")
    distributed, single = decoded_frames(tmp_path / "out.mp4"), decoded_frames(tmp_path / "local.mp4")
    assert len(distributed) == len(single) == 90
    assert all(np.array_equal(a, b) for a, b in zip(distributed, single, strict=True))


async def test_watch_streams_progress_until_the_job_ends(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work")))
        await queue.start()
        state = await queue.submit(job_segments(5, frame_delay=0.01), str(tmp_path / "out.mp4"))
        seen = []
        async with workers(queue, 2):
            async for update in queue.watch(state.job_id):
                seen.append(update)
        assert seen[0].status is JobStatus.QUEUED
        assert seen[-1].status is JobStatus.SUCCEEDED and seen[-1].progress == 1.0
        progress = [s.progress for s in seen]
        assert progress == sorted(progress) and len(seen) >= 3


async def test_two_submissions_with_one_client_key_give_one_job(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as a, connected(server.url) as b:
        config = QueueConfig(work_dir=str(tmp_path / "work"))
        first, second = JetStreamRenderQueue(a, config), JetStreamRenderQueue(b, config)
        await first.start()
        await second.start()
        segments = job_segments(3)
        one, two = await asyncio.gather(
            first.submit(segments, str(tmp_path / "out.mp4"), client_key="editor-42/export"),
            second.submit(segments, str(tmp_path / "out.mp4"), client_key="editor-42/export"),
        )
        assert one.job_id == two.job_id
        # A retry after the race (the usual case: a client that timed out) adds nothing at all.
        pending = await first.pending_tasks()
        again = await first.submit(segments, str(tmp_path / "out.mp4"), client_key="editor-42/export")
        assert again.job_id == one.job_id and await first.pending_tasks() == pending
        async with workers(first, 1) as pool:
            final = await first.wait_finished(one.job_id, timeout=60)
            await until(first.pending_tasks, lambda left: left == 0)
        assert final.status is JobStatus.SUCCEEDED
        assert pool[0].segments_rendered == 3, "the losing submission's tasks were dropped unrendered"
        other = await first.submit(segments, str(tmp_path / "other.mp4"), client_key="another")
        assert other.job_id != one.job_id


async def test_restarting_nats_server_mid_job_does_not_lose_the_job(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work"), ack_wait=3))
        await queue.start()
        segments = job_segments(8, frames=10, frame_delay=0.02)
        state = await queue.submit(segments, str(tmp_path / "out.mp4"))
        async with workers(queue, 2):
            await until(lambda: queue.require(state.job_id), lambda s: s.segments_done >= 2)
            await asyncio.to_thread(server.restart)
            final = await queue.wait_finished(state.job_id, timeout=90)
        assert final.status is JobStatus.SUCCEEDED, final.error
        assert final.segments_done == 8
        assert_output_matches_pattern(tmp_path / "out.mp4", segments)


async def test_cancelled_job_drops_its_remaining_tasks(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work")))
        await queue.start()
        state = await queue.submit(job_segments(4), str(tmp_path / "out.mp4"))
        cancelled = await queue.cancel(state.job_id)
        assert cancelled.status is JobStatus.CANCELLED
        async with workers(queue, 1) as pool:
            await until(queue.pending_tasks, lambda pending: pending == 0)
        assert pool[0].segments_rendered == 0
        assert not (tmp_path / "out.mp4").exists()


async def test_a_segment_the_renderer_refuses_fails_the_job_clearly(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work")))
        await queue.start()
        bad = SegmentSpec(index=0, key="0" * 64, description={"frames": 5, "width": -5})
        state = await queue.submit([bad], str(tmp_path / "out.mp4"))
        async with workers(queue, 1):
            final = await queue.wait_finished(state.job_id, timeout=30)
        assert final.status is JobStatus.FAILED
        assert "segment 0" in final.error


class CrashingRenderer:
    """A renderer with a bug (not a refusal): the worker retries, then fails the job."""

    def __init__(self) -> None:
        self.calls = 0

    async def render(self, task: object) -> Path:
        self.calls += 1
        raise RuntimeError("engine bug")


async def test_a_renderer_that_keeps_crashing_fails_the_job_after_max_deliver(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work"), max_deliver=2))
        await queue.start()
        state = await queue.submit(job_segments(1), str(tmp_path / "out.mp4"))
        renderer = CrashingRenderer()
        stop = asyncio.Event()
        worker = RenderWorker(queue, renderer, RemuxJoiner(), "w", heartbeat=0.2)
        running = asyncio.create_task(worker.run(stop, fetch_timeout=0.3))
        final = await queue.wait_finished(state.job_id, timeout=30)
        stop.set()
        await running
        assert final.status is JobStatus.FAILED and "failed 2 times" in final.error
        assert renderer.calls == 2


def decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="yuv420p") for frame in container.decode(video=0)]


async def test_rerender_after_one_change_reuses_every_other_segment_and_matches_a_fresh_render(
    tmp_path: Path,
) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=50_000_000)
    first = job_segments(6)
    changed = list(first)
    changed[2] = SegmentSpec(2, "f" * 64, {"frames": 10, "color": [250, 250, 0]})  # one clip's effect changed
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work")))
        await queue.start()
        async with workers(queue, 2, cache=cache):
            one = await queue.submit(first, str(tmp_path / "first.mp4"))
            one = await queue.wait_finished(one.job_id, timeout=60)
            # A corrupted entry must be rebuilt, never served.
            corrupted = cache.get(first[4].key)
            assert corrupted is not None
            corrupted.write_bytes(b"\x00" * corrupted.stat().st_size)
            two = await queue.submit(changed, str(tmp_path / "again.mp4"))
            two = await queue.wait_finished(two.job_id, timeout=60)
            fresh = await queue.submit(changed, str(tmp_path / "fresh.mp4"), use_cache=False)
            fresh = await queue.wait_finished(fresh.job_id, timeout=60)
    assert one.status is two.status is fresh.status is JobStatus.SUCCEEDED
    assert one.segments_reused == 0
    assert two.segments_reused == 4, "all but the changed and the corrupted segment come from the cache"
    assert {i for i, d in two.done.items() if not d.reused} == {2, 4}
    assert two.result is not None and two.result["segments_reused"] == 4
    assert fresh.segments_reused == 0
    assert cache.stats().corrupted == 1
    again, scratch = decoded_frames(tmp_path / "again.mp4"), decoded_frames(tmp_path / "fresh.mp4")
    assert len(again) == len(scratch) == 60
    assert all(np.array_equal(a, b) for a, b in zip(again, scratch, strict=True))


class HangingJoiner:
    """A joiner whose replica dies mid-join: it never returns."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def join(self, job: object, segment_paths: list[Path]) -> dict[str, object]:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_joiner_that_dies_mid_join_has_the_join_taken_over(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work"), ack_wait=1.5))
        await queue.start()
        segments = job_segments(3)
        state = await queue.submit(segments, str(tmp_path / "out.mp4"))
        hanging = HangingJoiner()
        doomed = RenderWorker(queue, PatternSegmentRenderer(), hanging, "doomed", heartbeat=0.3)
        stop = asyncio.Event()
        doomed_task = asyncio.create_task(doomed.run(stop, fetch_timeout=0.3))
        await asyncio.wait_for(hanging.started.wait(), timeout=60)
        doomed_task.cancel()  # the replica is gone: no more in-progress acks, no ack
        with contextlib.suppress(asyncio.CancelledError):
            await doomed_task
        assert (await queue.require(state.job_id)).status is JobStatus.JOINING
        async with workers(queue, 1):
            final = await queue.wait_finished(state.job_id, timeout=60)
        assert final.status is JobStatus.SUCCEEDED, final.error
        assert final.joiner == "w0" and final.join_attempts == 2
        assert final.segments_by_worker() == {"doomed": 3}
        assert_output_matches_pattern(tmp_path / "out.mp4", segments)


class CancellingJoiner:
    """Joins for real, but the job is cancelled while it does."""

    def __init__(self, queue: JetStreamRenderQueue) -> None:
        self.queue = queue
        self.inner = RemuxJoiner()

    async def join(self, job: Any, segment_paths: list[Path]) -> dict[str, Any]:
        await self.queue.cancel(job.job_id)
        return await self.inner.join(job, segment_paths)


async def test_a_job_cancelled_during_its_join_leaves_no_output(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(tmp_path / "work")))
        await queue.start()
        state = await queue.submit(job_segments(2), str(tmp_path / "out.mp4"))
        worker = RenderWorker(queue, PatternSegmentRenderer(), CancellingJoiner(queue), "w", heartbeat=0.2)
        for _ in range(2):
            assert await worker.run_once(fetch_timeout=5)
        final = await queue.require(state.job_id)
        assert final.status is JobStatus.CANCELLED
        assert not (tmp_path / "out.mp4").exists()


async def test_a_garbage_task_message_is_dropped_and_the_worker_goes_on(tmp_path: Path) -> None:
    async with NatsServer() as server, connected(server.url) as bus:
        config = QueueConfig(work_dir=str(tmp_path / "work"))
        queue = JetStreamRenderQueue(bus, config)
        await queue.start()
        await bus.jetstream.publish(config.task_subject("junk"), b"\xff not json")
        state = await queue.submit(job_segments(1), str(tmp_path / "out.mp4"))
        worker = RenderWorker(queue, PatternSegmentRenderer(), RemuxJoiner(), "w", heartbeat=0.2)
        assert await worker.run_once(fetch_timeout=5)  # the junk
        assert await worker.run_once(fetch_timeout=5)  # the real task
        assert (await queue.require(state.job_id)).status is JobStatus.SUCCEEDED
        assert await until(queue.pending_tasks, lambda left: left == 0) == 0
