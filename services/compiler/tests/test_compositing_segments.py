"""Issue 19's features through the segment cache (COMPILER_SEGMENT_CACHE_BYTES > 0): segments
rendered from their descriptions and joined give the single-pass picture, and a re-render reuses them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2

from .compositing_media import bar_position, make_bar_video
from .conftest import Running, decode_rgb, project, psnr, start_compiler
from .test_render import render


@pytest.fixture
async def cached(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30, max_segment_seconds=0.5):
        yield running


def edit(out: Path, background: str = "#000000") -> dict[str, object]:
    return {
        "settings": {"width": 64, "height": 48, "fps": 30, "backgroundColor": background},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [
                {"id": "r", "source": {"path": "bar.mp4"}, "start": 0, "sourceOut": 1.5, "reverse": True},
            ]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [
                {"id": "m", "source": {"color": {"color": "#ff0000"}}, "start": 0.2, "duration": 1,
                 "blendMode": "screen", "mask": {"shape": {"type": "ellipse", "width": 0.5, "height": 0.5}}},
            ]},
        ],
        "output": {"path": str(out), "audioCodec": "none", "crf": 12},
    }  # fmt: skip


async def test_reverse_and_a_masked_blend_render_the_same_through_cached_segments(
    cached: Running, compiler: Running, tmp_path: Path
) -> None:
    make_bar_video(tmp_path / "bar.mp4")
    segmented, single = tmp_path / "segmented.mp4", tmp_path / "single.mp4"
    job = await render(cached, project(edit(segmented), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    assert job.result.segments_total >= 3
    job_single = await render(compiler, project(edit(single), tmp_path))
    assert job_single.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job_single.error
    ours, theirs = decode_rgb(segmented), decode_rgb(single)
    assert len(ours) == len(theirs) == 45
    assert [bar_position(f) for f in ours[:5]] == [44, 43, 42, 41, 40]
    assert min(psnr(a, b) for a, b in zip(ours, theirs, strict=True)) >= 40
    again = await render(cached, project(edit(tmp_path / "again.mp4"), tmp_path))
    assert again.result.segments_reused == again.result.segments_total


async def test_an_alpha_mov_renders_through_cached_segments(cached: Running, tmp_path: Path) -> None:
    make_bar_video(tmp_path / "bar.mp4")
    out = tmp_path / "alpha.mov"
    proj = edit(out, "#00000000")
    proj["output"] = {"path": str(out), "audioCodec": "none", "videoCodec": "prores"}
    job = await render(cached, project(proj, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    import av

    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgba") for f in container.decode(video=0)]
    assert len(frames) == 45
    assert np.asarray(frames[0])[..., 3].min() >= 250  # the reversed clip fills the frame
