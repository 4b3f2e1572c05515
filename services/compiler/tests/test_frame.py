"""RenderFrame: one composited frame as an image, for scrubbing."""

from __future__ import annotations

import io
from pathlib import Path

import grpc
import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, project

EDIT = {
    "settings": {"width": 320, "height": 240, "fps": 30},
    "tracks": [
        {
            "id": "v",
            "kind": "TRACK_KIND_VIDEO",
            "clips": [
                {"id": "a", "source": {"path": "red_green.mp4"}, "start": 0},
                {
                    "id": "b",
                    "source": {"path": "blue_yellow.mp4"},
                    "start": 1.5,
                    "transition": {"type": "fade", "duration": 0.5},
                },
            ],
        },
        {
            "id": "o",
            "kind": "TRACK_KIND_OVERLAY",
            "clips": [
                {
                    "id": "logo",
                    "source": {"path": "logo.png"},
                    "start": 0,
                    "duration": 3.5,
                    "transform": {"x": 0.25, "y": 0.25, "scale": 0.25},
                },
            ],
        },
    ],
}


async def frame_at(
    compiler: Running, media: Media, time: float, **kw: object
) -> compiler_pb2.RenderFrameResponse:
    request = compiler_pb2.RenderFrameRequest(project=project(EDIT, media.root), time=time, **kw)
    return await compiler.stub.RenderFrame(request)


def pixel(reply: compiler_pb2.RenderFrameResponse, x: float, y: float) -> np.ndarray:
    image = np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB"))
    h, w = image.shape[:2]
    return image[int(y * h) - 2 : int(y * h) + 2, int(x * w) - 2 : int(x * w) + 2].reshape(-1, 3).mean(axis=0)


async def test_render_frame_composites_the_timeline_at_a_time(compiler: Running, media: Media) -> None:
    red = await frame_at(compiler, media, 0.5)
    assert red.mime_type == "image/jpeg" and (red.width, red.height) == (320, 240)
    assert np.allclose(pixel(red, 0.75, 0.75), (255, 0, 0), atol=30)
    assert np.allclose(pixel(red, 0.25, 0.25), (255, 255, 255), atol=30)  # the logo

    # Halfway through the 0.5 s fade from green (source 1.75 s) to blue: a mix of both.
    mid = await frame_at(compiler, media, 1.75, format=compiler_pb2.IMAGE_FORMAT_PNG, width=160)
    assert mid.mime_type == "image/png" and (mid.width, mid.height) == (160, 120)
    r, g, b = pixel(mid, 0.75, 0.75)
    assert 80 < g < 180 and 80 < b < 180 and r < 40
    assert abs(mid.time - 1.75) < 1 / 30

    late = await frame_at(compiler, media, 3.2)
    assert np.allclose(pixel(late, 0.75, 0.75), (255, 255, 0), atol=30)


async def test_render_frame_outside_the_timeline_is_invalid(compiler: Running, media: Media) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await frame_at(compiler, media, 99)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_render_frame_needs_no_output_path(compiler: Running, media: Media, tmp_path: Path) -> None:
    reply = await frame_at(compiler, media, 0.0)
    assert reply.image[:2] == b"\xff\xd8"


async def test_render_frame_notices_a_replaced_source(compiler: Running, tmp_path: Path) -> None:
    from svckit.testing import make_video

    source = make_video(tmp_path / "swap.mp4", seconds=1.0, colors=((255, 0, 0),), audio_hz=None)
    edit = {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": str(source)}, "start": 0}],
            }
        ],
    }
    request = compiler_pb2.RenderFrameRequest(project=project(edit), time=0.5)
    assert np.allclose(pixel(await compiler.stub.RenderFrame(request), 0.5, 0.5), (255, 0, 0), atol=30)
    make_video(tmp_path / "next.mp4", seconds=1.2, colors=((0, 0, 255),), audio_hz=None).replace(source)
    assert np.allclose(pixel(await compiler.stub.RenderFrame(request), 0.5, 0.5), (0, 0, 255), atol=30)
