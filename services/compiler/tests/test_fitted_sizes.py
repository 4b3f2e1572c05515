"""A source already in the working colour whose fitted size is its own but not the frame's (a 4:3
picture as tall as a 16:9 frame) is padded to the frame, alone, frozen and under a blend mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from tstudio.compiler.v1 import compiler_pb2

from .compositing_media import make_bar_video
from .conftest import Running, decode_rgb, project
from .test_render import render


@pytest.mark.parametrize("extra", [{}, {"freezeAt": 1.0}])
async def test_a_source_as_tall_as_the_frame_is_pillarboxed_alone_and_under_a_blend_mode(
    compiler: Running, tmp_path: Path, extra: dict[str, float]
) -> None:
    make_bar_video(tmp_path / "bar.mp4")  # 64x48, untagged SD: already the 96x48 output's colour
    out = tmp_path / "out.mp4"
    edit = {
        "settings": {"width": 96, "height": 48, "fps": 30},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "b", "source": {"path": "bar.mp4"}, "start": 0, "duration": 0.4, **extra}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY",
             "clips": [{"id": "m", "source": {"color": {"color": "#808080"}}, "start": 0.2, "duration": 0.2,
                        "blendMode": "multiply"}]},
        ],
        "output": {"path": str(out), "audioCodec": "none", "crf": 12},
    }  # fmt: skip
    job = await render(compiler, project(edit, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 12 and all(f.shape == (48, 96, 3) for f in frames)
    for frame in frames:
        assert frame[:, :14].max() < 24 and frame[:, -14:].max() < 24  # black pillars, 16 px each side
