"""Segment rendering for distributed jobs: the engine renders each described segment, the remux
joiner concatenates them beside the mixed audio, and the segment cache re-renders only what an
edit changed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import av
import numpy as np
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.demo_media import write_demo
from tstudio_compiler.adapters.segment_renderer import PyAvSegmentRenderer, job_spec, write_audio
from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.scale.adapters.caching_renderer import CachingRenderer
from tstudio_compiler.scale.adapters.pyav_joiner import RemuxJoiner
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.domain.render_ports import JobSpec, SegmentTask

from .conftest import Running, decode_audio, decode_rgb, project, psnr, start_compiler
from .test_render import render


async def render_job(compiler: Running, data: dict, renderer: CachingRenderer, tmp: Path, name: str) -> Path:  # type: ignore[type-arg]
    prepared = await compiler.compiler.prepare(
        project_from_proto(project(data, tmp / "demo")), need_output=True
    )
    plan = prepared.plan
    encode = compiler.compiler.encode_settings(plan)
    audio = write_audio(plan, encode, tmp / f"{name}.m4a")
    job = job_spec(plan, encode, name, str(audio))
    job = JobSpec(job.job_id, job.segments, str(tmp / f"{name}.mp4"), job.audio_path)
    paths = [await renderer.render(SegmentTask(name, segment, str(tmp / "work"))) for segment in job.segments]
    await RemuxJoiner().join(job, paths)
    return tmp / f"{name}.mp4"


async def test_segments_join_into_the_same_video_and_an_edit_rerenders_only_its_segments(
    compiler: Running, tmp_path: Path
) -> None:
    project_file = write_demo(tmp_path / "demo", width=160, height=90)
    demo = json.loads(project_file.read_text())
    demo["settings"].update(width=320, height=180)
    demo["output"].update(path=str(tmp_path / "whole.mp4"), crf=18)

    whole = None
    async for reply in compiler.stub.Render(
        compiler_pb2.RenderRequest(project=project(demo, tmp_path / "demo"))
    ):
        whole = reply.job
    assert whole is not None and whole.result.frames == 285

    renderer = CachingRenderer(PyAvSegmentRenderer(), SegmentCache(tmp_path / "cache", 1 << 30))
    joined = await render_job(compiler, demo, renderer, tmp_path, "first")
    assert (renderer.rendered, renderer.reused) == (7, 0)

    ours, theirs = decode_rgb(tmp_path / "whole.mp4"), decode_rgb(joined)
    assert len(ours) == len(theirs) == 285
    for index in range(0, 285, 10):
        assert psnr(ours[index], theirs[index]) >= 35, index
    with av.open(str(joined)) as container:
        assert container.streams.audio and abs(container.duration / 1e6 - 9.5) < 0.1

    # Change the last clip's effect: only the segments showing c3 (the wipe and c3 alone) re-render.
    edited = copy.deepcopy(demo)
    edited["tracks"][0]["clips"][2]["effects"] = [{"type": "grayscale"}]
    await render_job(compiler, edited, renderer, tmp_path, "second")
    assert (renderer.rendered, renderer.reused) == (7 + 2, 5)


async def test_render_with_the_segment_cache_reuses_unchanged_segments(tmp_path: Path) -> None:
    project_file = write_demo(tmp_path / "demo", width=160, height=90)
    demo = json.loads(project_file.read_text())
    demo["settings"].update(width=320, height=180)
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30):
        first = await render(running, project(demo, tmp_path / "demo"))
        assert (first.result.segments_total, first.result.segments_reused) == (7, 0)
        edited = copy.deepcopy(demo)
        edited["tracks"][0]["clips"][2]["effects"] = [{"type": "grayscale"}]
        changed = await render(running, project(edited, tmp_path / "demo"))
        assert (changed.result.segments_total, changed.result.segments_reused) == (7, 5)
        again = await render(running, project(demo, tmp_path / "demo"))
        assert (again.result.segments_total, again.result.segments_reused) == (7, 7)
        diagnostics = await running.stub.GetDiagnostics(compiler_pb2.GetDiagnosticsRequest())
        items = {i.name: i.value for i in diagnostics.diagnostics.items}
        # 9 segments and the sound mix, which the picture edit did not change (reused twice).
        assert items["cache.segments.entries"] == "10" and items["cache.segments.hits"] == "14"
        assert again.status == compiler_pb2.JOB_STATUS_SUCCEEDED
        loud, rate = decode_audio(Path(again.result.output_path))

        # A sound edit: every picture segment is reused, the mix is made again.
        quieter = copy.deepcopy(demo)
        quieter["tracks"][0]["clips"][0]["volume"] = 0.25
        remixed = await render(running, project(quieter, tmp_path / "demo"))
        assert remixed.result.segments_reused == 7
        soft, _ = decode_audio(Path(remixed.result.output_path))
        first_second = slice(rate // 4, rate)
        assert np.abs(soft[first_second]).max() < 0.5 * np.abs(loud[first_second]).max()
    with av.open(first.result.output_path) as container:
        assert container.streams.video[0].frames == 285 and container.streams.audio
