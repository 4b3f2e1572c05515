"""The segments a cached render misses are encoded several at a time beside the sound: the
output is the same frame for frame, progress only rises, and a failure or a cancellation stops
the other encodes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from svckit.errors import Cancelled
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.demo_media import write_demo
from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer
from tstudio_compiler.adapters.segment_pool import Job, run_segments
from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache

from .conftest import Running, decode_rgb, project, psnr, start_compiler


def _demo(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    demo = json.loads(write_demo(tmp_path / "demo", width=160, height=90).read_text())
    demo["settings"].update(width=160, height=90)
    return demo


async def test_concurrent_segments_give_the_one_pass_picture_and_rising_progress(tmp_path: Path) -> None:
    demo = _demo(tmp_path)
    outputs = {}
    for name, cache in (("cached", 1 << 30), ("one-pass", 0)):
        demo["output"]["path"] = str(tmp_path / f"{name}.mp4")
        done: list[int] = []
        async for running in start_compiler(tmp_path / name, segment_cache_bytes=cache):
            job = None
            async for reply in running.stub.Render(
                compiler_pb2.RenderRequest(project=project(demo, tmp_path / "demo"))
            ):
                job = reply.job
                done.append(job.progress.done)
            assert job is not None and job.status == compiler_pb2.JOB_STATUS_SUCCEEDED
            outputs[name] = Path(job.result.output_path)
        assert done == sorted(done), done
    cached, single = decode_rgb(outputs["cached"]), decode_rgb(outputs["one-pass"])
    assert len(cached) == len(single) == 285
    for index in range(0, 285, 10):
        assert psnr(cached[index], single[index]) >= 35, index


async def _jobs(running: Running, demo: dict, tmp_path: Path) -> list[Job]:  # type: ignore[type-arg]
    from tstudio_compiler.adapters.segment_renderer import job_spec

    prepared = await running.compiler.prepare(
        project_from_proto(project(demo, tmp_path / "demo")), need_output=True
    )
    plan = prepared.plan
    spec = job_spec(plan, running.compiler.encode_settings(plan), "j")
    return [
        Job(s.key, s.description, str(tmp_path / f"{s.index}.mp4"), seg.frames)
        for s, seg in zip(spec.segments, plan.segments, strict=True)
    ]


async def test_a_failing_segment_stops_the_others_and_is_raised(tmp_path: Path) -> None:
    demo = _demo(tmp_path)
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30):
        jobs = await _jobs(running, demo, tmp_path)
    broken = dict(jobs[0].description)
    broken["inputs"] = [{**broken["inputs"][0], "path": str(tmp_path / "gone.mp4")}]
    jobs[0] = Job(jobs[0].key, broken, jobs[0].path, jobs[0].frames)
    cache = SegmentCache(tmp_path / "cache", 1 << 30)
    with pytest.raises(Exception) as raised:
        run_segments(
            jobs,
            PyAvRenderer(),
            cache,
            progress=lambda *_: None,
            total=sum(j.frames for j in jobs),
            done=0,
            cancelled=threading.Event(),
            workers=2,
        )
    assert not isinstance(raised.value, Cancelled)
    # Not every segment was encoded: the failure stopped the queue.
    assert cache.stats().entries < len(jobs)


async def test_a_cancelled_render_raises_cancelled(tmp_path: Path) -> None:
    demo = _demo(tmp_path)
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30):
        jobs = await _jobs(running, demo, tmp_path)
    cancelled = threading.Event()
    calls = []

    def progress(done: int, total: int, stage: str) -> None:
        calls.append(done)
        cancelled.set()

    with pytest.raises(Cancelled):
        run_segments(
            jobs,
            PyAvRenderer(),
            SegmentCache(tmp_path / "cache", 1 << 30),
            progress=progress,
            total=sum(j.frames for j in jobs),
            done=0,
            cancelled=cancelled,
            workers=2,
            side=lambda: None,
        )
