"""One pixel budget for every decoded or rasterised picture (issue 15, item 4): a small PNG that
declares 16000x16000 is refused before it is decoded; 200 lines of text at font size 1000 are laid
out against the frame instead of on a canvas of hundreds of megapixels."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_png_bomb
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.adapters.text_raster import FRAMES_OF_TEXT, rasterise
from tstudio_compiler.domain.model import TextSource

from .conftest import Running, project
from .test_render import render

BOMB_TEXT = "\n".join(f"line {i} of a very long text" for i in range(200))


def overlay(source: dict, output: Path) -> dict:  # type: ignore[type-arg]
    return {
        "settings": {"width": 320, "height": 240, "fps": 30},
        "tracks": [
            {
                "id": "bg",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "bg", "source": {"color": {"color": "#000000"}}, "start": 0, "duration": 0.2}
                ],
            },
            {
                "id": "o",
                "kind": "TRACK_KIND_OVERLAY",
                "clips": [{"id": "o", "source": source, "start": 0, "duration": 0.2}],
            },
        ],
        "output": {"path": str(output)},
    }


async def test_an_image_declaring_16000x16000_is_refused_before_decoding(
    compiler: Running, tmp_path: Path
) -> None:
    bomb = make_png_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 100_000
    edit = project(overlay({"path": str(bomb)}, tmp_path / "out.mp4"))
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=edit))
    assert [v.field for v in reply.violations] == ["tracks[1].clips[0].source.path"]
    assert "16000x16000" in reply.violations[0].description
    assert "pixel budget" in reply.violations[0].description
    for call in (
        render(compiler, edit),
        compiler.stub.RenderFrame(compiler_pb2.RenderFrameRequest(project=edit, time=0.1)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in error_details(caught.value).field_violations] == [
            "tracks[1].clips[0].source.path"
        ]
    assert not (tmp_path / "out.mp4").exists()


async def test_a_picture_within_the_budget_still_renders(tmp_path: Path) -> None:
    from .conftest import start_compiler

    image = make_png_bomb(tmp_path / "wide.png", 640, 480)
    async for running in start_compiler(tmp_path, max_picture_pixels=640 * 480):
        job = await render(running, project(overlay({"path": str(image)}, tmp_path / "ok.mp4")))
        assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    async for running in start_compiler(tmp_path, max_picture_pixels=640 * 480 - 1):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await render(running, project(overlay({"path": str(image)}, tmp_path / "no.mp4")))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_huge_text_is_laid_out_against_the_frame() -> None:
    picture = rasterise(TextSource(BOMB_TEXT, font_size=1000), (320, 240))
    assert picture.width * picture.height <= FRAMES_OF_TEXT * 320 * 240
    small = rasterise(TextSource("hi", font_size=40), (320, 240))
    assert small.size == rasterise(TextSource("hi", font_size=40)).size  # ordinary text is untouched


async def test_a_text_bomb_is_refused_by_its_field_before_anything_is_drawn(
    compiler: Running, tmp_path: Path
) -> None:
    # 200 lines at size 1000 would be a picture far taller than any frame: refused at validation
    # with the text's path and a way out (wrap it, or make it smaller), never allocated.
    edit = project(overlay({"text": {"text": BOMB_TEXT, "fontSize": 1000}}, tmp_path / "text.mp4"))
    for call in (
        compiler.stub.RenderFrame(compiler_pb2.RenderFrameRequest(project=edit, time=0.1)),
        render(compiler, edit),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "tracks[1].clips[0].source.text.text" in caught.value.details()
    assert not (tmp_path / "text.mp4").exists()
    # A large text that fits the frame's budget still renders (laid out smaller if needed).
    fitting = project(overlay({"text": {"text": "BIG", "fontSize": 1000}}, tmp_path / "big.mp4"))
    job = await render(compiler, fitting)
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error


async def test_an_output_size_beyond_the_largest_frame_is_refused(compiler: Running, tmp_path: Path) -> None:
    edit = project(overlay({"color": {"color": "#ffffff"}}, tmp_path / "big.mp4"))
    edit.output.width, edit.output.height = 100000, 100000
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=edit))
    assert {"output.width", "output.height"} <= {v.field for v in reply.violations}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, edit)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
