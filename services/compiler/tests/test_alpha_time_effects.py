"""A held (`freezeAt`) or reversed VP9-alpha clip is decoded with the alpha decoder, like the same
clip played forwards: its transparent half shows the background, never the hidden magenta."""

from __future__ import annotations

from pathlib import Path

import pytest
from tstudio.compiler.v1 import compiler_pb2

from . import real_world as rw
from .conftest import Running, project
from .test_render import render

pytestmark = rw.needs_ffmpeg


@pytest.mark.parametrize("timing", [{"freezeAt": 0.5}, {"reverse": True, "sourceIn": 0.2, "sourceOut": 0.6}])
async def test_a_frozen_or_reversed_alpha_clip_shows_the_background_where_transparent(
    compiler: Running, tmp_path: Path, timing: dict[str, object]
) -> None:
    source = rw.vp9_alpha(tmp_path)  # 320x180: left half opaque pattern, right half transparent
    clip = {"id": "c", "source": {"path": str(source)}, "start": 0, **timing}
    if "freezeAt" in timing:
        clip["duration"] = 0.4
    out = tmp_path / "out.mp4"
    edit = {
        "settings": {"width": 320, "height": 180, "fps": 10, "backgroundColor": "#2050c0"},
        "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [clip]}],
        "output": {"path": str(out), "audioCodec": "none", "crf": 12},
    }
    job = await render(compiler, project(edit))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = rw.frames_rgb(out)
    assert len(frames) == 4
    for image in frames:
        assert rw.close(rw.colour_at(image, 240, 90), (0x20, 0x50, 0xC0), 6), rw.colour_at(image, 240, 90)
        assert rw.close(rw.colour_at(image, 20, 20), rw.RED, 12)
