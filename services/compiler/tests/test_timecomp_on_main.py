"""timecomp's features on main's foundations: image sequences opened through SourceFiles (the
allowed roots, regular files only), nested timelines in an RGB output, and blend compositing of a
clip whose width the bundled swscale cannot turn straight into planar RGB."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from svckit.errors import InvalidArgument, PermissionDenied
from svckit.testing import make_video
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.adapters.media_probe import probe_all
from tstudio_compiler.adapters.source_files import SourceFiles

from .compositing_media import save_picture
from .conftest import Running, decode_rgb, project, psnr
from .test_render import render


def write_images(folder: Path, count: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        save_picture(folder / f"img{i + 1:04d}.png", np.full((16, 16, 4), (40 * i, 90, 200, 255), np.uint8))


def test_a_sequence_opens_through_the_roots_and_refuses_what_a_single_source_would(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_images(root / "frames")
    sources = SourceFiles([root])
    info = probe_all({"tracks[0].clips[0].source.path": str(root / "frames")}, sources)[str(root / "frames")]
    assert (info.frame_count, info.width, info.is_image, info.has_alpha) == (3, 16, False, True)
    # A FIFO among the images never reaches the demuxer (it would block a worker for good).
    os.mkfifo(root / "frames" / "img0004.png")
    with pytest.raises(InvalidArgument):
        sources.open_container(str(root / "frames" / "img%04d.png"), "tracks[0].clips[0].source.path")
    os.unlink(root / "frames" / "img0004.png")
    # An image linked from outside the roots is refused as that file alone would be.
    write_images(outside, 1)
    os.symlink(outside / "img0001.png", root / "frames" / "img0004.png")
    with pytest.raises(PermissionDenied) as refused:
        sources.open_container(str(root / "frames" / "img%04d.png"), "tracks[0].clips[0].source.path")
    assert refused.value.details.field_violations[0].field == "tracks[0].clips[0].source.path"


async def test_a_blended_clip_fills_a_frame_54_pixels_wide(compiler: Running, tmp_path: Path) -> None:
    make_video(tmp_path / "wide.mp4", seconds=0.5, width=96, height=54, colors=((255, 255, 255),))
    out = tmp_path / "blend.mp4"
    edit = {
        "settings": {"width": 54, "height": 96, "fps": 10},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "w", "source": {"path": "wide.mp4"}, "start": 0, "sourceOut": 0.3, "fit": "cover"}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY",
             "clips": [{"id": "m", "source": {"color": {"color": "#ff8000"}}, "start": 0, "duration": 0.3,
                        "blendMode": "multiply"}]},
        ],
        "output": {"path": str(out), "audioCodec": "none", "crf": 10},
    }  # fmt: skip
    job = await render(compiler, project(edit, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frame = decode_rgb(out)[1].astype(int)
    # white x orange everywhere: no dark strip down the right edge
    assert np.abs(frame[4:-4, :, 0] - 255).max() <= 12 and np.abs(frame[4:-4, :, 2]).max() <= 12


async def test_a_nested_timeline_in_a_gif_looks_like_the_flat_edit(compiler: Running, tmp_path: Path) -> None:
    make_video(tmp_path / "rg.mp4", seconds=1.0, width=64, height=48, colors=((200, 40, 40), (40, 200, 40)))
    clip = {"id": "c", "source": {"path": "rg.mp4"}, "start": 0, "sourceOut": 0.6}
    inner = {"settings": {"width": 64, "height": 48, "fps": 10}, "tracks": [
        {"id": "iv", "kind": "TRACK_KIND_VIDEO", "clips": [clip]}]}  # fmt: skip
    frames = {}
    for name, source in (("nested", {"id": "n", "source": {"project": inner}, "start": 0}), ("flat", clip)):
        out = tmp_path / f"{name}.gif"
        edit = {
            "settings": {"width": 64, "height": 48, "fps": 10},
            "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [source]}],
            "output": {"path": str(out)},
        }
        job = await render(compiler, project(edit, tmp_path))
        assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
        frames[name] = decode_rgb(out)
    assert len(frames["nested"]) == len(frames["flat"]) == 6
    assert min(psnr(a, b) for a, b in zip(frames["nested"], frames["flat"], strict=True)) >= 30


async def test_a_fifo_named_as_a_project_file_is_refused_not_waited_on(
    compiler: Running, tmp_path: Path
) -> None:
    import grpc
    from svckit.grpc_errors import error_details

    os.mkfifo(tmp_path / "inner.json")
    edit = {
        "settings": {"width": 64, "height": 48, "fps": 10},
        "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [
            {"id": "n", "source": {"projectPath": "inner.json"}, "start": 0, "duration": 1}]}],
        "output": {"path": str(tmp_path / "out.mp4")},
    }  # fmt: skip
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, project(edit, tmp_path))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error_details(caught.value).field_violations] == [
        "tracks[0].clips[0].source.project_path"
    ]
