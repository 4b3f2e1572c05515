"""ExplainRender's ffmpeg command for reverse, freeze, cover, a blend mode, a picture mask and an
overlay fade, run by a real ffmpeg, gives the picture we render."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from tstudio.compiler.v1 import compiler_pb2

from .compositing_media import make_bar_video, save_picture
from .conftest import Running, decode_rgb, project, psnr
from .test_render import render


def edit(output: Path) -> dict[str, Any]:
    return {
        "settings": {"width": 96, "height": 48, "fps": 30},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [
                {"id": "r", "source": {"path": "bar.mp4"}, "start": 0, "sourceIn": 0.5, "sourceOut": 1.5,
                 "reverse": True, "fit": "cover"},
                {"id": "f", "source": {"path": "bar.mp4"}, "start": 1, "freezeAt": 1.0, "duration": 0.5},
            ]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [
                {"id": "m", "source": {"color": {"color": "#80c040"}}, "start": 0.2, "duration": 1.2,
                 "blendMode": "multiply", "mask": {"path": "half.png"}},
                {"id": "box", "source": {"color": {"color": "#0000ff"}}, "start": 0.5, "duration": 0.8,
                 "fadeIn": 0.4, "transform": {"x": 0.75, "y": 0.5, "scale": 0.25}},
            ]},
        ],
        "output": {"path": str(output), "audioCodec": "none", "crf": 12},
    }  # fmt: skip


async def test_explained_command_matches_our_render_for_the_compositing_features(
    compiler: Running, tmp_path: Path
) -> None:
    make_bar_video(tmp_path / "bar.mp4")
    half = np.zeros((48, 96, 3), np.uint8)
    half[:, :48] = 255
    save_picture(tmp_path / "half.png", half)
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "ffmpeg.mp4"
    job = await render(compiler, project(edit(ours), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(edit(theirs), tmp_path))
    )
    graphs = " ".join(s.filter_graph for s in explained.segments)
    assert "lut2" in graphs and "alphamerge" in graphs
    args = [imageio_ffmpeg.get_ffmpeg_exe(), *explained.ffmpeg_args[1:]]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-3000:]
    our_frames, their_frames = decode_rgb(ours), decode_rgb(theirs)
    assert len(our_frames) == len(their_frames) == job.result.frames == 45
    for index in range(len(our_frames)):
        value = psnr(our_frames[index], their_frames[index])
        assert value >= 35, f"frame {index}: PSNR {value:.1f} dB"
