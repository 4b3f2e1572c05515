"""Sources are placed by their timestamps: a variable frame rate and an odd start time stay on the
output frame grid."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from svckit.testing import make_video
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Running, decode_rgb, project
from .test_render import render


def make_vfr_video(path: Path) -> Path:
    """Frames every 70 ms (irregular against 30 fps): red before 1.0 s, blue from the 1.05 s frame on."""
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for k in range(30):
            t_ms = k * 70
            colour = (255, 0, 0) if t_ms < 1000 else (0, 0, 255)
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), colour, np.uint8), format="rgb24")
            frame.pts, frame.time_base = t_ms, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def one_clip(path: Path, output: Path, **clip: Any) -> dict[str, Any]:
    return {
        "settings": {"width": 64, "height": 48, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": str(path)}, "start": 0, **clip}],
            }
        ],
        "output": {"path": str(output), "audioCodec": "none"},
    }


def colour(frame: np.ndarray) -> tuple[int, ...]:
    return tuple(int(v) for v in frame.reshape(-1, 3).mean(axis=0))


async def test_variable_frame_rate_source_lands_on_the_grid_by_timestamp(
    compiler: Running, tmp_path: Path
) -> None:
    source = make_vfr_video(tmp_path / "vfr.mp4")
    job = await render(compiler, project(one_clip(source, tmp_path / "out.mp4", sourceOut=1.8)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(tmp_path / "out.mp4")
    assert len(frames) == 54
    # Output frame n shows the latest source frame before (n + 0.5) / 30 s: 0.98 s (red) for frame 31,
    # 1.05 s (blue) for frame 32.
    assert np.allclose(colour(frames[31]), (255, 0, 0), atol=30)
    assert np.allclose(colour(frames[32]), (0, 0, 255), atol=30)


async def test_a_source_with_an_odd_start_time_is_trimmed_from_its_own_start(
    compiler: Running, tmp_path: Path
) -> None:
    # MPEG-TS streams start at 1.4 s, not 0; source times count from the file's start.
    source = make_video(
        tmp_path / "odd.ts",
        seconds=2.0,
        width=64,
        height=48,
        colors=((255, 0, 0), (0, 255, 0)),
        audio_hz=None,
    )
    with av.open(str(source)) as container:
        assert (container.start_time or 0) > 0
    job = await render(compiler, project(one_clip(source, tmp_path / "out.mp4", sourceIn=0.5, sourceOut=1.5)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(tmp_path / "out.mp4")
    assert len(frames) == 30
    assert np.allclose(colour(frames[14]), (255, 0, 0), atol=30)  # source 0.967 s
    assert np.allclose(colour(frames[15]), (0, 255, 0), atol=30)  # source 1.0 s
