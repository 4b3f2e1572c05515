"""svckit's real-world corpus (written by Debian's ffmpeg) placed on a 1280x720 timeline and
previewed through gRPC (RenderFrame) and rendered (Render): upright, at its shown aspect, greys
40/128/200 within 3 levels, transparent parts showing the background."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from PIL import Image
from svckit.real_world_corpus import KNOWN, grey_levels, is_upright
from svckit.source_description import describe_source
from svckit.testing import real_world_corpus
from svckit.tone_mapping import lut_path
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.domain.colour_management import fit

from . import real_world as rw
from .conftest import Running, project, psnr
from .test_real_world_render import render

BACKGROUND = (0x20, 0x50, 0xC0)
PICTURE_KINDS = [
    "sdr_h264",
    "phone_rotate_90",
    "phone_rotate_180",
    "phone_rotate_270",
    "jpeg_exif_3",
    "jpeg_exif_6",
    "jpeg_exif_8",
    "jpeg_exif_2",
    "jpeg_exif_5",
    "anamorphic_sar43",
    "fullrange_h264",
    "mjpeg",
    "interlaced_tff",
    "vfr_mkv",
    "mpegts",
]
ALPHA_KINDS = ["vp9_alpha", "png_alpha", "webp_alpha", "prores4444_alpha"]


def timeline(source: Path, out: Path, track: str = "TRACK_KIND_VIDEO") -> Any:
    return project(
        {
            "settings": {"width": 1280, "height": 720, "fps": 30, "backgroundColor": "#2050c0"},
            "tracks": [
                {
                    "id": "v",
                    "kind": track,
                    "clips": [{"id": "c", "source": {"path": str(source)}, "start": 0, "duration": 1}],
                }
            ],
            "output": {"path": str(out), "audioCodec": "none"},
        }
    )


async def frame(compiler: Running, source: Path, time: float = 0.3, **kw: Any) -> np.ndarray:
    request = compiler_pb2.RenderFrameRequest(
        project=timeline(source, source.with_suffix(".out.mp4"), **kw),
        time=time,
        width=1280,
        format=compiler_pb2.IMAGE_FORMAT_PNG,
    )
    reply = await compiler.stub.RenderFrame(request)
    return np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB"))


def shown_area(image: np.ndarray, source: Path) -> np.ndarray:
    """The part of a 1280x720 frame the source was fitted into (centred, shown aspect)."""
    d = describe_source(source)
    width, height = fit(d.display_width, d.display_height, 1280, 720)
    left, top = (1280 - width) // 2, (720 - height) // 2
    return image[top : top + height, left : left + width]


@pytest.mark.parametrize("kind", PICTURE_KINDS)
async def test_preview_is_upright_undistorted_and_keeps_its_greys(compiler: Running, kind: str) -> None:
    source = real_world_corpus(kind)
    image = await frame(compiler, source)
    shown = shown_area(image, source)
    assert is_upright(shown, tolerance=40), kind
    greys = grey_levels(shown)
    assert all(abs(a - b) <= 3 for a, b in zip(greys, KNOWN.greys, strict=True)), (kind, greys)
    if shown.shape[:2] != image.shape[:2]:
        # Letterboxed or pillarboxed: the bars show the background.
        edge = image[360, 2] if shown.shape[1] < 1280 else image[2, 640]
        assert np.all(np.abs(edge.astype(int) - BACKGROUND) <= 4), (kind, edge)


@pytest.mark.parametrize("kind", ALPHA_KINDS)
@pytest.mark.parametrize("track", ["TRACK_KIND_VIDEO", "TRACK_KIND_OVERLAY"])
async def test_alpha_sources_composite_over_the_background_on_any_track(
    compiler: Running, kind: str, track: str
) -> None:
    source = real_world_corpus(kind)
    shown = shown_area(await frame(compiler, source, track=track), source)
    height, width = shown.shape[:2]
    x, y = KNOWN.transparent_centre
    transparent = shown[int(y * height) - 2 : int(y * height) + 3, int(x * width) - 2 : int(x * width) + 3]
    assert np.all(np.abs(transparent.reshape(-1, 3).mean(axis=0) - BACKGROUND) <= 6), kind
    x, y = KNOWN.half_transparent_centre
    half = shown[int(y * height) - 2 : int(y * height) + 3, int(x * width) - 2 : int(x * width) + 3]
    blend = (np.array(BACKGROUND) + np.array((255, 0, 255))) / 2  # magenta at alpha 128
    assert np.all(np.abs(half.reshape(-1, 3).mean(axis=0) - blend) <= 12), kind
    assert is_upright(shown, tolerance=40), kind


async def test_a_cover_only_mp3_on_the_video_track_plays_over_the_background(
    compiler: Running, tmp_path: Path
) -> None:
    proj = timeline(real_world_corpus("mp3_cover"), tmp_path / "cover.mp4")
    proj.output.audio_codec = "aac"
    job = await render(compiler, proj)
    assert job.result.frames == 30


@pytest.mark.parametrize("kind", ["mp3_cover_only", "vp9_alpha_zero_frames", "hdr10_pq_truncated"])
async def test_bad_real_world_files_give_clear_errors_naming_the_clip(
    compiler: Running, tmp_path: Path, kind: str
) -> None:
    proj = timeline(real_world_corpus(kind), tmp_path / "bad.mp4")
    job = None
    try:
        async for reply in compiler.stub.Render(compiler_pb2.RenderRequest(project=proj)):
            job = reply.job
    except grpc.aio.AioRpcError as exc:
        assert exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION), exc
        assert "tracks[0].clips[0].source.path" in str(exc.trailing_metadata()) + (exc.details() or "")
        return
    assert job is not None and job.status == compiler_pb2.JOB_STATUS_FAILED, kind
    assert job.error.code in ("DATA_LOSS", "INVALID_ARGUMENT"), job.error
    assert "hdr10_pq_truncated" in job.error.message


# The ffmpeg CLI's usual HDR -> SDR recipe (zscale + tonemap), which the bundled FFmpeg cannot run.
CLI_TONE_MAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0:peak=10,"
    "zscale=t=bt709:m=bt709:r=tv,format=yuv420p,scale=960:720,fps=30"
)


@pytest.mark.parametrize("kind", ["hdr10_pq_hevc", "hlg_hevc"])
async def test_hdr_sources_are_tone_mapped_to_sdr_bt709_like_the_cli_zscale_recipe(
    compiler: Running, tmp_path: Path, kind: str
) -> None:
    source = real_world_corpus(kind)
    proj = timeline(source, tmp_path / "sdr.mp4")
    proj.settings.background_color = "#000000"
    proj.output.crf = 12
    job = await render(compiler, proj)
    ours = rw.frames_rgb(Path(job.result.output_path), 8)
    theirs = rw.frames_rgb(rw.cli_reference(source, tmp_path / "cli.mp4", CLI_TONE_MAP), 8)
    assert rw.colour_tags_of(Path(job.result.output_path)) == ["bt709", "bt709", "bt709", "tv"]
    shown = shown_area(ours[4], source)
    assert is_upright(shown, tolerance=60)
    values = [psnr(a, b) for a, b in zip(ours[::4], theirs[::4], strict=True)]
    assert min(values) >= 35, values


async def test_explained_command_for_an_hdr_source_runs_with_the_ffmpeg_cli_and_matches(
    compiler: Running, tmp_path: Path
) -> None:
    """The printed command reads the tone-mapping LUT, which ExplainRender has written."""
    source = real_world_corpus("hdr10_pq_hevc")
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "cli.mp4"
    job = await render(compiler, timeline(source, ours))
    Path(lut_path("pq")).unlink()  # the render wrote it; ExplainRender must write it again
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=timeline(source, theirs))
    )
    assert "lut3d=file=" in explained.ffmpeg_command and "in_color_matrix=bt2020" in explained.ffmpeg_command
    subprocess.run([rw.FFMPEG, *explained.ffmpeg_args[1:]], check=True, capture_output=True, timeout=120)
    our_frames, their_frames = rw.frames_rgb(Path(job.result.output_path)), rw.frames_rgb(theirs)
    assert len(our_frames) == len(their_frames)
    assert min(psnr(a, b) for a, b in zip(our_frames[::6], their_frames[::6], strict=True)) >= 35
