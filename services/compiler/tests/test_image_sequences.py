"""Image sequences (a printf pattern or a folder of numbered images) play one image per frame at
their own rate, alpha kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2

from .compositing_media import save_picture
from .conftest import Running, decode_rgb, project
from .test_render import render

GREYS = [20 * (i + 1) for i in range(10)]


def write_sequence(folder: Path, name: str, first: int) -> None:
    """Ten 32x32 images: the left half grey 20, 40, ... 200, the right half transparent."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, grey in enumerate(GREYS):
        image = np.zeros((32, 32, 4), np.uint8)
        image[:, :16] = (grey, grey, grey, 255)
        save_picture(folder / name.format(first + index), image)


@pytest.mark.parametrize(
    ("path", "name", "first"),
    [("frames/img%04d.png", "img{:04d}.png", 1), ("frames", "shot_{}.png", 1001)],
)
async def test_an_image_sequence_shows_each_image_in_turn_with_its_alpha(
    compiler: Running, tmp_path: Path, path: str, name: str, first: int
) -> None:
    write_sequence(tmp_path / "frames", name, first)
    out = tmp_path / "sequence.mp4"
    edit = {
        "settings": {"width": 32, "height": 32, "fps": 20},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "red", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 1}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY",
             "clips": [{"id": "seq", "source": {"path": path, "fps": 10}, "start": 0}]},
        ],
        "output": {"path": str(out), "audioCodec": "none", "crf": 10},
    }  # fmt: skip
    job = await render(compiler, project(edit, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 20  # ten images at 10 fps = 1 s at 20 fps
    for index, frame in enumerate(frames):
        left = frame[4:28, 2:14].reshape(-1, 3).astype(float).mean(axis=0)
        right = frame[4:28, 18:30].reshape(-1, 3).astype(float).mean(axis=0)
        assert np.allclose(left, GREYS[index // 2], atol=6), (index, left)
        assert right[0] > 200 and right[1] < 40, (index, right)  # transparent: the red below


async def test_a_sequence_without_images_is_missing_media(compiler: Running, tmp_path: Path) -> None:
    edit = {
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "s", "source": {"path": "none/img%03d.png", "fps": 24}, "start": 0}]},
        ],
        "output": {"path": str(tmp_path / "x.mp4")},
    }  # fmt: skip
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(edit, tmp_path))
    )
    assert [v.field for v in reply.violations] == ["tracks[0].clips[0].source.path"]
