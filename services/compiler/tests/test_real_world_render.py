"""Real-world sources (written by Debian's ffmpeg) on a 1280x720 timeline, through gRPC, compared
with the same edit made by the ffmpeg CLI: upright, undistorted, full range read as full range,
output tagged and encoded BT.709, alpha over the background, cover art not taken for video."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import av
import grpc
import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2

from . import real_world as rw
from .conftest import Running, decode_audio, project, psnr, start_compiler

pytestmark = rw.needs_ffmpeg

# Full range in, limited BT.709 out: the scale the CLI reference makes explicitly too.
FULL_TO_709 = "in_range=pc:out_range=tv:in_color_matrix=bt709:out_color_matrix=bt709"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("real_world")


def timeline(source: Path, out: Path, background: str = "#000000", fps: int = 30, **output: Any) -> Any:
    return project(
        {
            "settings": {"width": 1280, "height": 720, "fps": fps, "backgroundColor": background},
            "tracks": [
                {
                    "id": "v",
                    "kind": "TRACK_KIND_VIDEO",
                    "clips": [{"id": "c", "source": {"path": str(source)}, "start": 0, "duration": 0.5}],
                }
            ],
            "output": {"path": str(out), "audioCodec": "none", "crf": 12, **output},
        }
    )


async def render(running: Running, proj: Any) -> compiler_pb2.RenderJob:
    job = None
    async for reply in running.stub.Render(compiler_pb2.RenderRequest(project=proj)):
        job = reply.job
    assert job is not None
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    return job


def colour_tags(path: Path) -> list[str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=color_range,color_space,color_primaries,color_transfer", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.strip().split(","))


def assert_upright_portrait(image: np.ndarray) -> None:
    """The phone pattern fitted into 1280x720: 404x720 in the middle, corners where they belong,
    the black marker square, greys within 3 levels of 40/200/128."""
    left, right = (1280 - 404) // 2, (1280 + 404) // 2
    assert rw.close(rw.colour_at(image, left + 20, 20), rw.RED, 12)
    assert rw.close(rw.colour_at(image, right - 20, 20), rw.GREEN, 12)
    assert rw.close(rw.colour_at(image, left + 20, 700), rw.BLUE, 12)
    assert rw.close(rw.colour_at(image, right - 20, 700), rw.WHITE, 12)
    assert rw.close(rw.colour_at(image, 100, 360), (0, 0, 0), 3)  # letterboxed: background
    # The square: 45 source pixels -> 101 output pixels both ways.
    dark = np.argwhere(image[:, :, 0] < 60)
    dark = dark[(abs(dark[:, 0] - 360) < 80) & (abs(dark[:, 1] - 640) < 80)]
    height, width = np.ptp(dark[:, 0]) + 1, np.ptp(dark[:, 1]) + 1
    assert abs(height - width) <= 3, (width, height)
    # Grey patches beside the square: source x 38..53 and 127..142 of 180, scaled by 720 / 320.
    assert rw.close(rw.colour_at(image, round(left + 45.5 * 2.25), 360), (40, 40, 40), 3)
    assert rw.close(rw.colour_at(image, round(left + 134.5 * 2.25), 360), (200, 200, 200), 3)
    assert rw.close(rw.colour_at(image, 640, 250), (128, 128, 128), 3)


async def test_portrait_full_range_phone_clip_renders_upright_letterboxed_and_bt709_like_the_cli(
    compiler: Running, corpus: Path
) -> None:
    source = rw.phone_portrait(corpus)
    job = await render(compiler, timeline(source, corpus / "phone_out.mp4"))
    output = Path(job.result.output_path)
    reference = rw.cli_reference(source, corpus / "phone_ref.mp4", f"scale=404:720:{FULL_TO_709}", x=438)

    ours, theirs = rw.frames_rgb(output, 15), rw.frames_rgb(reference, 15)
    assert_upright_portrait(ours[5])
    assert min(psnr(a, b) for a, b in zip(ours[::5], theirs[::5], strict=False)) >= 35
    assert colour_tags(output) == ["bt709", "bt709", "bt709", "tv"]


async def test_render_frame_of_a_portrait_clip_is_upright(compiler: Running, corpus: Path) -> None:
    source = rw.phone_portrait(corpus)
    request = compiler_pb2.RenderFrameRequest(
        project=timeline(source, corpus / "unused.mp4"),
        time=0.2,
        width=1280,
        format=compiler_pb2.IMAGE_FORMAT_PNG,
    )
    reply = await compiler.stub.RenderFrame(request)
    image = np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB"))
    assert_upright_portrait(image)


async def test_anamorphic_source_is_shown_at_its_display_aspect(compiler: Running, corpus: Path) -> None:
    source = rw.anamorphic(corpus)  # 240x180 stored, SAR 4:3: 320x180 shown -> 1280x720
    job = await render(compiler, timeline(source, corpus / "anamorphic_out.mp4"))
    reference = rw.cli_reference(
        source,
        corpus / "anamorphic_ref.mp4",
        "scale=1280:720:in_range=tv:out_range=tv:in_color_matrix=bt601:out_color_matrix=bt709",
    )
    ours, theirs = rw.frames_rgb(Path(job.result.output_path), 6), rw.frames_rgb(reference, 6)
    image = ours[3]
    dark = np.argwhere(image[:, :, 0] < 60)
    dark = dark[(abs(dark[:, 0] - 360) < 150) & (abs(dark[:, 1] - 640) < 150)]
    height, width = np.ptp(dark[:, 0]) + 1, np.ptp(dark[:, 1]) + 1
    assert abs(height - width) <= 4, (width, height)  # the square stays square
    assert rw.close(rw.colour_at(image, 20, 20), rw.RED, 12)  # fills the frame: no pillarbox
    assert psnr(ours[3], theirs[3]) >= 35


@pytest.mark.parametrize("kind", ["vp9", "png"])
async def test_alpha_source_on_the_video_track_shows_the_background_where_transparent(
    compiler: Running, corpus: Path, kind: str
) -> None:
    source = rw.vp9_alpha(corpus) if kind == "vp9" else rw.png_alpha(corpus)
    job = await render(compiler, timeline(source, corpus / f"alpha_{kind}.mp4", background="#2050c0"))
    image = rw.frames_rgb(Path(job.result.output_path), 4)[3]
    # 320x180 -> 1280x720; the right half was transparent (magenta hidden under it).
    assert rw.close(rw.colour_at(image, 960, 360), (0x20, 0x50, 0xC0), 6)
    assert rw.close(rw.colour_at(image, 1200, 600), (0x20, 0x50, 0xC0), 6)
    assert rw.close(rw.colour_at(image, 20, 20), rw.RED, 12)
    assert rw.close(rw.colour_at(image, 20, 700), rw.BLUE, 12)


async def test_mp3_with_a_cover_on_the_video_track_plays_its_sound_over_the_background(
    compiler: Running, corpus: Path
) -> None:
    source = rw.mp3_with_cover(corpus)
    proj = timeline(source, corpus / "cover_out.mp4", background="#008000", audioCodec="aac")
    job = await render(compiler, proj)
    output = Path(job.result.output_path)
    image = rw.frames_rgb(output, 2)[1]
    assert rw.close(rw.colour_at(image, 640, 360), (0, 128, 0), 6)
    samples, _ = decode_audio(output)
    assert np.abs(samples).max() > 0.08  # lavfi sine: amplitude 1/8


async def test_sd_output_is_tagged_and_encoded_bt601(compiler: Running, corpus: Path) -> None:
    source = rw.phone_portrait(corpus)
    proj = timeline(source, corpus / "sd.mp4", width=640, height=360)
    output = Path((await render(compiler, proj)).result.output_path)
    assert colour_tags(output) == ["smpte170m", "smpte170m", "smpte170m", "tv"]
    with av.open(str(output)) as container:
        frame = next(container.decode(video=0))
        # Limited-range Y of the 200 grey patch: 16 + 200 * 219 / 255 = 188 in either matrix.
        assert frame.width == 640


@pytest.mark.parametrize(
    ("output", "field"),
    [
        ({"dynamicRange": "hdr10"}, "output.dynamic_range"),
        ({"colorMatrix": "bt2020"}, "output.color_matrix"),
        ({"colorRange": "full"}, "output.color_range"),
    ],
)
async def test_output_colour_it_cannot_honour_is_refused_with_its_field(
    compiler: Running, corpus: Path, output: dict[str, str], field: str
) -> None:
    proj = timeline(rw.png_alpha(corpus), corpus / "refused.mp4", **output)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, proj)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (caught.value.details() or "") or field in str(caught.value.trailing_metadata())


async def test_explained_command_run_by_the_ffmpeg_cli_gives_the_same_upright_colour_managed_picture(
    compiler: Running, corpus: Path
) -> None:
    def edit(out: Path) -> Any:
        proj = timeline(rw.phone_portrait(corpus), out, background="#203040")
        overlay = proj.tracks.add(id="o", kind=2)  # TRACK_KIND_OVERLAY
        clip = overlay.clips.add(id="a", start=0, duration=0.5)
        clip.source.path = str(rw.vp9_alpha(corpus))
        clip.transform.x, clip.transform.y, clip.transform.scale = 0.75, 0.3, 0.4
        return proj

    ours, theirs = corpus / "explain_ours.mp4", corpus / "explain_cli.mp4"
    job = await render(compiler, edit(ours))
    explained = await compiler.stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=edit(theirs)))
    assert "-noautorotate" in explained.ffmpeg_args and "libvpx-vp9" in explained.ffmpeg_args
    assert "transpose=cclock" in explained.ffmpeg_command and "in_range=pc" in explained.ffmpeg_command
    subprocess.run([rw.FFMPEG, *explained.ffmpeg_args[1:]], check=True, capture_output=True, timeout=120)

    assert colour_tags(theirs) == colour_tags(ours) == ["bt709", "bt709", "bt709", "tv"]
    our_frames, their_frames = rw.frames_rgb(ours), rw.frames_rgb(theirs)
    assert len(our_frames) == len(their_frames) == job.result.frames
    for a, b in zip(our_frames[::4], their_frames[::4], strict=True):
        assert psnr(a, b) >= 35


async def test_interlaced_source_is_deinterlaced_by_its_field_order_like_the_cli(
    compiler: Running, corpus: Path
) -> None:
    source = rw.interlaced(corpus)  # 320x240 top field first, moving picture
    job = await render(compiler, timeline(source, corpus / "interlaced_out.mp4", fps=25))
    reference = rw.cli_reference(
        source,
        corpus / "interlaced_ref.mp4",
        "bwdif=mode=send_frame:parity=tff:deint=all,"
        "scale=960:720:in_range=tv:out_range=tv:in_color_matrix=bt601:out_color_matrix=bt709",
    )
    ours, theirs = rw.frames_rgb(Path(job.result.output_path), 12), rw.frames_rgb(reference, 12)
    for a, b in zip(ours[::3], theirs[::3], strict=True):
        assert psnr(a, b) >= 35
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=timeline(source, corpus / "x.mp4", fps=25))
    )
    assert "bwdif=mode=send_frame:parity=tff" in explained.ffmpeg_command


async def test_loud_surround_sound_is_mixed_down_to_stereo_without_clipping(
    compiler: Running, corpus: Path
) -> None:
    source = rw.loud_surround(corpus)
    proj = project(
        {
            "settings": {"width": 160, "height": 120, "fps": 30},
            "tracks": [
                {"id": "v", "kind": "TRACK_KIND_VIDEO",
                 "clips": [{"id": "c", "source": {"color": {"color": "#000000"}}, "start": 0, "duration": 1}]},
                {"id": "a", "kind": "TRACK_KIND_AUDIO", "clips": [{"id": "s", "source": {"path": str(source)}, "start": 0}]},
            ],
            "output": {"path": str(corpus / "surround.mov"), "container": "mov", "audioCodec": "pcm"},
        }
    )  # fmt: skip
    output = Path((await render(compiler, proj)).result.output_path)
    with av.open(str(output)) as container:
        stream = container.streams.audio[0]
        assert stream.channels == 2
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)]) / 32768
    # The CLI's `-ac 2` to 16-bit: the same normalised standard matrix gives 0.987 here.
    assert 0.9 <= np.abs(samples).max() <= 1.0
    assert np.count_nonzero(np.abs(samples) >= 32767 / 32768) == 0


async def test_segmented_render_and_its_cache_keep_the_portrait_upright_and_tagged(
    corpus: Path, tmp_path: Path
) -> None:
    source = rw.phone_portrait(corpus)
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30):
        first = await render(running, timeline(source, tmp_path / "one.mp4"))
        again = await render(running, timeline(source, tmp_path / "two.mp4"))
        assert again.result.segments_reused == again.result.segments_total >= 1
        for job in (first, again):
            output = Path(job.result.output_path)
            assert colour_tags(output) == ["bt709", "bt709", "bt709", "tv"]
            assert_upright_portrait(rw.frames_rgb(output, 6)[5])


async def test_prerendered_stretch_of_a_portrait_clip_is_upright_and_tagged(
    compiler: Running, corpus: Path
) -> None:
    proj = timeline(rw.phone_portrait(corpus), corpus / "unused.mp4")
    proj.output.path = ""  # into the previews folder
    reply = await compiler.stub.PrerenderSegment(
        compiler_pb2.PrerenderSegmentRequest(project=proj, start=0.1, end=0.4)
    )
    assert reply.job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, reply.job.error
    output = Path(reply.job.result.output_path)
    # The preview profile renders 640x360: SD, so BT.601 (SMPTE 170M) by the size rule.
    assert colour_tags(output) == ["smpte170m", "smpte170m", "smpte170m", "tv"]
    image = rw.frames_rgb(output, 3)[2]
    # The preview profile renders at 640x360: the 404x720 portrait becomes 202x360 in the middle.
    scaled = np.asarray(Image.fromarray(image).resize((1280, 720), Image.Resampling.NEAREST))
    left, right = (1280 - 404) // 2, (1280 + 404) // 2
    assert rw.close(rw.colour_at(scaled, left + 24, 24), rw.RED, 20)
    assert rw.close(rw.colour_at(scaled, right - 24, 696), rw.WHITE, 20)
    assert rw.close(rw.colour_at(scaled, 100, 360), (0, 0, 0), 4)
