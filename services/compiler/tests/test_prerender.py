"""The preview profile and PrerenderSegment: a stretch of the timeline rendered small and fast on its
own, through the same path and segment cache as a whole render."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import av
import grpc
import numpy as np
import pytest
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.demo_media import write_demo

from .conftest import Running, decode_audio, decode_rgb, project, psnr, start_compiler


def demo(tmp_path: Path, output: str = "") -> dict[str, Any]:
    data = json.loads(write_demo(tmp_path / "demo", width=160, height=90).read_text())
    data["output"].update(path=output)
    return data


def loudness(samples: np.ndarray, rate: int) -> np.ndarray:
    """RMS per 100 ms: the sound's envelope, which encoder delays of a few ms do not change."""
    step = rate // 10
    usable = samples[: len(samples) // step * step]
    return np.sqrt((usable.reshape(-1, step) ** 2).mean(axis=1))


@pytest.fixture
async def cached(tmp_path: Path) -> Any:
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30):
        yield running


async def test_a_prerendered_stretch_matches_that_stretch_of_a_whole_preview_render(
    cached: Running, tmp_path: Path
) -> None:
    data = demo(tmp_path, str(tmp_path / "whole.mp4"))
    whole = None
    request = compiler_pb2.RenderRequest(
        project=project(data, tmp_path / "demo"), profile=compiler_pb2.RENDER_PROFILE_PREVIEW
    )
    async for reply in cached.stub.Render(request):
        whole = reply.job
    assert whole is not None and whole.status == compiler_pb2.JOB_STATUS_SUCCEEDED
    with av.open(whole.result.output_path) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (640, 360)

    data = demo(tmp_path)
    reply = await cached.stub.PrerenderSegment(
        compiler_pb2.PrerenderSegmentRequest(project=project(data, tmp_path / "demo"), start=2.0, end=4.5)
    )
    job = reply.job
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED and (reply.start, reply.end) == (2.0, 4.5)
    out = Path(job.result.output_path)
    assert out.parent == tmp_path / "data" / "previews" and job.result.frames == 75
    frames, reference = decode_rgb(out), decode_rgb(Path(whole.result.output_path))[60:135]
    assert len(frames) == 75
    assert min(psnr(a, b) for a, b in zip(frames, reference, strict=True)) >= 30
    # Segments wholly inside the stretch are the whole render's, from the cache.
    assert job.result.segments_reused >= 1

    ours, rate = decode_audio(out)
    theirs, _ = decode_audio(Path(whole.result.output_path))
    assert abs(len(ours) / rate - 2.5) < 0.05
    here, there = loudness(ours, rate), loudness(theirs[2 * rate : int(4.5 * rate)], rate)
    count = min(len(here), len(there))
    assert np.abs(here[:count] - there[:count]).max() < 0.05

    again = await cached.stub.PrerenderSegment(
        compiler_pb2.PrerenderSegmentRequest(project=project(data, tmp_path / "demo"), start=2.0, end=4.5)
    )
    assert again.job.result.output_path == str(out)
    assert again.job.result.segments_reused == again.job.result.segments_total


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (3.0, 3.0, "end"),
        (4.0, 2.0, "end"),
        (-1.0, 2.0, "start"),
        (0.0, 60.0, "end"),
        (math.nan, 1.0, "start"),
    ],
)
async def test_a_bad_stretch_is_invalid_with_its_field(
    cached: Running, tmp_path: Path, start: float, end: float, field: str
) -> None:
    request = compiler_pb2.PrerenderSegmentRequest(
        project=project(demo(tmp_path), tmp_path / "demo"), start=start, end=end
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await cached.stub.PrerenderSegment(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in {v.field for v in error_details(caught.value).field_violations}
