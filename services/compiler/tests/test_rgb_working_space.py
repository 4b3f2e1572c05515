"""An RGB output (APNG, GIF) composites in RGB: no source is rounded through YUV 4:2:0, and the
printed ffmpeg command (its colour inputs in RGB, the compositor's transparent canvas in RGBA) gives
the picture we render; a positioned blend clip in an mp4 matches its command too."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2

from .compositing_media import make_bar_video, save_picture
from .conftest import Running, decode_rgb, project, psnr
from .test_render import render


def edit(output: Path) -> dict[str, Any]:
    return {
        "settings": {"width": 96, "height": 48, "fps": 10},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "bar", "source": {"path": "bar.mp4"}, "start": 0, "duration": 0.6, "fit": "fill"}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [
                {"id": "pic", "source": {"path": "pic.png"}, "start": 0, "duration": 0.6, "blendMode": "multiply",
                 "transform": {"x": 0.3, "y": 0.5, "scale": 0.5}},
                {"id": "tint", "source": {"color": {"color": "#336699"}}, "start": 0.2, "duration": 0.4,
                 "opacity": 0.5, "fadeIn": 0.2},
            ]},
        ],
        "output": {"path": str(output), "audioCodec": "none", "crf": 12},
    }  # fmt: skip


async def run_command(args: list[str]) -> None:
    process = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(),
        *args[1:],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-3000:]


@pytest.mark.parametrize(("name", "floor"), [("out.apng", 40.0), ("out.mp4", 35.0)])
async def test_an_output_and_its_printed_command_agree_with_a_positioned_blend_clip(
    compiler: Running, tmp_path: Path, name: str, floor: float
) -> None:
    make_bar_video(tmp_path / "bar.mp4")
    picture = np.zeros((24, 48, 3), np.uint8)
    picture[:, :24] = (200, 40, 90)
    picture[:, 24:] = (30, 180, 220)
    save_picture(tmp_path / "pic.png", picture)
    ours, theirs = tmp_path / name, tmp_path / f"ffmpeg-{name}"
    job = await render(compiler, project(edit(ours), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(edit(theirs), tmp_path))
    )
    graphs = " ".join(s.filter_graph for s in explained.segments)
    if name.endswith(".apng"):
        assert "yuv" not in graphs, "an RGB output rounds a picture through YUV"
    await run_command(list(explained.ffmpeg_args))
    our_frames, their_frames = decode_rgb(ours), decode_rgb(theirs)
    assert len(our_frames) == len(their_frames) == 6
    for index, (a, b) in enumerate(zip(our_frames, their_frames, strict=True)):
        assert psnr(a, b) >= floor, f"frame {index}: PSNR {psnr(a, b):.1f} dB"
