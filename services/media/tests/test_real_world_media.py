"""Real-world-style files written by Debian's ffmpeg (svckit.real_world_corpus) through gRPC: Probe's
source description, thumbnails and filmstrips upright, in range, at the right time, with alpha."""

from __future__ import annotations

import io
from pathlib import Path

import grpc
import numpy as np
import pytest
from PIL import Image
from svckit.grpc_errors import error_details
from svckit.real_world_corpus import (
    KNOWN,
    alpha_patches,
    bar_time,
    combing,
    flash_on,
    grey_levels,
    is_upright,
)
from svckit.testing import real_world_corpus
from tstudio.media.v1 import media_pb2

from .conftest import RunningMedia


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def greys_close(image: np.ndarray, tolerance: int = 3) -> bool:
    return all(abs(g - want) <= tolerance for g, want in zip(grey_levels(image), KNOWN.greys, strict=True))


async def probe(service: RunningMedia, kind: str) -> media_pb2.MediaInfo:
    response = await service.stub.Probe(media_pb2.ProbeRequest(path=str(real_world_corpus(kind))), timeout=30)
    return response.info


async def thumbnail(service: RunningMedia, path: Path, **fields: object) -> media_pb2.ThumbnailResponse:
    return await service.stub.Thumbnail(media_pb2.ThumbnailRequest(path=str(path), **fields), timeout=30)


async def failure(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


# ---- Probe ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("phone_rotate_90", dict(rotation=90, width=320, height=240, display_width=240, display_height=320)),
        ("phone_rotate_180", dict(rotation=180, display_width=320, display_height=240)),
        ("jpeg_exif_8", dict(rotation=270, color_range="pc", still=True, display_width=240)),
        ("anamorphic_sar43", dict(sample_aspect="4:3", width=240, display_width=320, display_height=240)),
        (
            "fullrange_h264",
            dict(color_range="pc", pixel_format="yuvj420p", effective_color_matrix="smpte170m"),
        ),
        ("mjpeg", dict(color_range="pc")),
        ("vp9_alpha", dict(has_alpha=True, alpha_decoder="libvpx-vp9")),
        ("prores4444_alpha", dict(has_alpha=True, bit_depth=12)),
        ("png_alpha", dict(has_alpha=True, still=True, pixel_format="rgba")),
        ("interlaced_tff", dict(field_order="tt")),
        (
            "hdr10_pq_hevc",
            dict(
                hdr="pq",
                bit_depth=10,
                color_transfer="smpte2084",
                color_primaries="bt2020",
                color_matrix="bt2020nc",
            ),
        ),
        ("hlg_hevc", dict(hdr="hlg", color_transfer="arib-std-b67")),
        ("vfr_mkv", dict(variable_frame_rate=True)),
        ("sdr_h264", dict(variable_frame_rate=False, fps=25.0, field_order="progressive", color_range="tv")),
        ("loud_51", dict(has_video=False, audio_channels=6, audio_layout="5.1")),
    ],
)
async def test_probe_describes_how_the_source_must_be_shown(
    service: RunningMedia, kind: str, expected: dict[str, object]
) -> None:
    source = (await probe(service, kind)).source
    assert {name: getattr(source, name) for name in expected} == expected


async def test_probe_of_vfr_mp4_reports_a_real_frame_rate_not_the_timescale(service: RunningMedia) -> None:
    info = await probe(service, "vfr_mp4")
    video = next(s for s in info.streams if s.type == media_pb2.STREAM_TYPE_VIDEO)
    assert 15 <= video.fps <= 30 and 15 <= video.avg_fps <= 30
    assert video.variable_frame_rate and info.source.variable_frame_rate
    assert 15 <= info.source.fps <= 30


async def test_mp3_with_a_cover_is_an_audio_file(service: RunningMedia) -> None:
    info = await probe(service, "mp3_cover")
    assert info.kind == media_pb2.MEDIA_KIND_AUDIO
    cover = next(s for s in info.streams if s.type == media_pb2.STREAM_TYPE_VIDEO)
    assert cover.attached_picture and cover.fps == 0
    assert (info.source.has_video, info.source.attached_picture, info.source.has_audio) == (False, True, True)


async def test_late_audio_and_mpegts_starts_are_on_the_container_clock(service: RunningMedia) -> None:
    late = (await probe(service, "late_audio")).source
    assert late.audio_start_seconds - late.start_time_seconds == pytest.approx(0.5, abs=0.03)
    ts = (await probe(service, "mpegts")).source
    assert ts.start_time_seconds > 1.0 and ts.video_start_seconds >= ts.start_time_seconds


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("hdr10_pq_truncated", "NOT_MEDIA"),
        ("mp3_cover_only", "NOT_MEDIA"),
        ("vp9_alpha_zero_frames", "NOT_MEDIA"),
    ],
)
async def test_bad_real_world_files_get_clear_errors(service: RunningMedia, kind: str, reason: str) -> None:
    path = str(real_world_corpus(kind))
    for call in (
        service.stub.Probe(media_pb2.ProbeRequest(path=path), timeout=30),
        service.stub.Thumbnail(media_pb2.ThumbnailRequest(path=path, time_seconds=0.5), timeout=30),
    ):
        error = error_details(await failure(call))
        assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason)
        assert [v.field for v in error.field_violations] == ["path"]


# ---- Thumbnails ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "phone_rotate_90",
        "phone_rotate_180",
        "phone_rotate_270",
        "jpeg_exif_3",
        "jpeg_exif_6",
        "jpeg_exif_8",
        "jpeg_exif_2",
        "jpeg_exif_5",
    ],
)
async def test_thumbnails_are_upright(service: RunningMedia, kind: str) -> None:
    shown = await thumbnail(
        service, real_world_corpus(kind), time_seconds=0.5, format=media_pb2.IMAGE_FORMAT_PNG
    )
    image = pixels(shown.image)
    assert is_upright(image)
    assert greys_close(image)
    portrait = kind in ("phone_rotate_90", "phone_rotate_270", "jpeg_exif_6", "jpeg_exif_8", "jpeg_exif_5")
    assert (shown.width < shown.height) == portrait


async def test_anamorphic_thumbnail_has_its_display_aspect(service: RunningMedia) -> None:
    shown = await thumbnail(service, real_world_corpus("anamorphic_sar43"), format=media_pb2.IMAGE_FORMAT_PNG)
    assert (shown.width, shown.height) == (320, 240)
    assert is_upright(pixels(shown.image))


@pytest.mark.parametrize("kind", ["fullrange_h264", "mjpeg", "jpeg_exif_3", "sdr_h264", "prores4444_alpha"])
async def test_thumbnail_greys_are_read_in_their_range(service: RunningMedia, kind: str) -> None:
    shown = await thumbnail(
        service, real_world_corpus(kind), time_seconds=0.5, format=media_pb2.IMAGE_FORMAT_PNG
    )
    assert greys_close(pixels(shown.image)[..., :3])


@pytest.mark.parametrize("kind", ["mpegts", "vfr_mp4", "vfr_mkv", "sdr_h264", "late_audio"])
@pytest.mark.parametrize("mode", [media_pb2.SEEK_MODE_ACCURATE, media_pb2.SEEK_MODE_UNSPECIFIED])
async def test_accurate_thumbnail_is_the_frame_at_that_time(
    service: RunningMedia, kind: str, mode: int
) -> None:
    path = real_world_corpus(kind)
    for seconds in (0.0, 0.5, KNOWN.flash_time, 1.3):
        shown = await thumbnail(
            service, path, time_seconds=seconds, mode=mode, format=media_pb2.IMAGE_FORMAT_PNG
        )
        content = bar_time(pixels(shown.image))
        assert content is not None
        # The frame shown at `seconds`: at or before it, less than a frame (<= 1/15 s on VFR) earlier.
        assert seconds - 1 / 15 - 0.01 <= content <= seconds + 0.01, (seconds, content)
        assert shown.frame_time_seconds <= seconds + 1e-3
    flash = await thumbnail(service, path, time_seconds=KNOWN.flash_time, format=media_pb2.IMAGE_FORMAT_PNG)
    assert flash_on(pixels(flash.image))


async def test_fast_thumbnail_of_mpegts_is_never_a_later_frame(service: RunningMedia) -> None:
    path = real_world_corpus("mpegts")
    shown = await thumbnail(
        service, path, time_seconds=1.5, mode=media_pb2.SEEK_MODE_FAST, format=media_pb2.IMAGE_FORMAT_PNG
    )
    content = bar_time(pixels(shown.image))
    assert content is not None and content <= 1.5


async def test_edit_listed_cut_starts_at_its_edit(service: RunningMedia) -> None:
    # Cut from 0.5 s by stream copy: the edit list hides the frames before; content = 0.5 + time.
    path = real_world_corpus("edit_list_cut")
    for seconds in (0.0, 0.5):
        shown = await thumbnail(service, path, time_seconds=seconds, format=media_pb2.IMAGE_FORMAT_PNG)
        content = bar_time(pixels(shown.image))
        assert content == pytest.approx(0.5 + seconds, abs=0.05)


@pytest.mark.parametrize("kind", ["vp9_alpha", "png_alpha", "webp_alpha", "prores4444_alpha"])
@pytest.mark.parametrize("fmt", [media_pb2.IMAGE_FORMAT_PNG, media_pb2.IMAGE_FORMAT_WEBP])
async def test_thumbnail_keeps_alpha_in_png_and_webp(service: RunningMedia, kind: str, fmt: int) -> None:
    shown = await thumbnail(service, real_world_corpus(kind), time_seconds=0.5, format=fmt)
    image = pixels(shown.image)
    assert image.shape[2] == 4
    opaque, transparent, half = alpha_patches(image)
    assert opaque >= 250 and transparent <= 5 and abs(half - 128) <= 8


async def test_jpeg_thumbnail_of_alpha_shows_black_not_the_hidden_pixels(service: RunningMedia) -> None:
    shown = await thumbnail(service, real_world_corpus("vp9_alpha"), time_seconds=0.5)
    image = pixels(shown.image)
    h, w = image.shape[:2]
    x, y = KNOWN.transparent_centre
    assert image[int(y * h), int(x * w)].max() <= 24  # magenta underneath would be (255, 0, 255)


@pytest.mark.parametrize("seconds", [0.0, 1.0, 1.9])
async def test_cover_art_is_the_thumbnail_at_any_time(service: RunningMedia, seconds: float) -> None:
    shown = await thumbnail(
        service, real_world_corpus("mp3_cover"), time_seconds=seconds, format=media_pb2.IMAGE_FORMAT_PNG
    )
    image = pixels(shown.image)
    assert (shown.width, shown.height) == (240, 240)
    assert is_upright(image) and greys_close(image)


async def test_filmstrip_of_mpegts_tiles_show_their_times(service: RunningMedia) -> None:
    strip = await service.stub.Filmstrip(
        media_pb2.FilmstripRequest(
            path=str(real_world_corpus("mpegts")), count=4, tile_width=320, format=media_pb2.IMAGE_FORMAT_PNG
        ),
        timeout=30,
    )
    sheet = pixels(strip.image)
    for tile in strip.tiles:
        part = sheet[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]
        content = bar_time(part)
        assert content is not None and tile.time_seconds - 0.05 <= content <= tile.time_seconds + 0.01


async def test_filmstrip_of_alpha_video_keeps_alpha_in_png(service: RunningMedia) -> None:
    strip = await service.stub.Filmstrip(
        media_pb2.FilmstripRequest(
            path=str(real_world_corpus("vp9_alpha")),
            count=2,
            tile_width=320,
            format=media_pb2.IMAGE_FORMAT_PNG,
        ),
        timeout=30,
    )
    sheet = pixels(strip.image)
    tile = strip.tiles[0]
    assert sheet.shape[2] == 4
    _opaque, transparent, _half = alpha_patches(
        sheet[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]
    )
    assert transparent <= 5


# ---- Waveforms -----------------------------------------------------------------------------------


async def beep_time(service: RunningMedia, kind: str) -> tuple[float, media_pb2.WaveformResponse]:
    response = await service.stub.Waveform(
        media_pb2.WaveformRequest(path=str(real_world_corpus(kind)), buckets=400), timeout=30
    )
    loud = [i for i, peak in enumerate(response.channels[0].max) if peak > 0.25]
    assert loud, "no beep found"
    return response.start_seconds + loud[0] * response.bucket_seconds, response


async def test_waveform_is_on_the_container_timeline(service: RunningMedia) -> None:
    on_time, _ = await beep_time(service, "sdr_h264")
    late, response = await beep_time(service, "late_audio")
    # The beep is at content time 1 s; audio that starts 0.5 s late puts it 0.5 s later, after silence.
    assert on_time == pytest.approx(KNOWN.flash_time, abs=0.02)
    assert late == pytest.approx(KNOWN.flash_time + 0.5, abs=0.02)
    first_half_second = round(0.45 / response.bucket_seconds)
    assert max(response.channels[0].max[:first_half_second]) < 0.01


async def test_waveform_of_mpegts_matches_its_video(service: RunningMedia) -> None:
    # MPEG-TS starts at ~1.46 s and its video at ~1.48 s: the beep is at (video start - start) + 1 s.
    source = (await probe(service, "mpegts")).source
    beep, _ = await beep_time(service, "mpegts")
    assert beep == pytest.approx(
        source.video_start_seconds - source.start_time_seconds + KNOWN.flash_time, abs=0.02
    )


# ---- Proxies -------------------------------------------------------------------------------------


async def proxy_frame(service: RunningMedia, kind: str, output: Path, seconds: float = 1.0) -> np.ndarray:
    """The proxy's picture at `seconds`, as the ffmpeg CLI decodes it (it honours every tag)."""
    import subprocess

    request = media_pb2.CreateProxyRequest(path=str(real_world_corpus(kind)), output_path=str(output))
    final = [r async for r in service.stub.CreateProxy(request, timeout=60)][-1]
    assert final.output_path == str(output)
    png = output.with_suffix(".png")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", str(seconds), "-i", str(output), "-frames:v", "1", str(png)],
        check=True,
    )
    return np.asarray(Image.open(png).convert("RGB"))


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        ("phone_rotate_90", (240, 320)),
        ("phone_rotate_180", (320, 240)),
        ("phone_rotate_270", (240, 320)),
        ("anamorphic_sar43", (320, 240)),
        ("fullrange_h264", (320, 240)),
        ("mjpeg", (320, 240)),
        ("interlaced_tff", (320, 240)),
    ],
)
async def test_proxy_is_upright_square_pixel_and_limited_range(
    service: RunningMedia, tmp_path: Path, kind: str, size: tuple[int, int]
) -> None:
    image = proxy_frame(service, kind, tmp_path / "proxy.mp4")
    frame = await image
    assert (frame.shape[1], frame.shape[0]) == size
    assert is_upright(frame)
    assert greys_close(frame)
    assert bar_time(frame) == pytest.approx(1.0, abs=0.05)
    described = (
        await service.stub.Probe(media_pb2.ProbeRequest(path=str(tmp_path / "proxy.mp4")))
    ).info.source
    assert (described.rotation, described.sample_aspect, described.color_range) == (0, "1:1", "tv")
    assert described.color_matrix == "smpte170m"  # tagged: BT.601 below 720 lines


async def test_interlaced_thumbnail_is_not_combed(service: RunningMedia) -> None:
    path = real_world_corpus("interlaced_tff")
    shown = await thumbnail(service, path, time_seconds=1.0, format=media_pb2.IMAGE_FORMAT_PNG)
    image = pixels(shown.image)
    # Woven fields 1/50 s apart put the bar 2 px apart on alternate rows; one field shows one time.
    assert combing(image) < 0.5
    assert bar_time(image) == pytest.approx(1.0, abs=0.02)
    assert greys_close(image) and is_upright(image)


async def test_interlaced_proxy_is_deinterlaced(service: RunningMedia, tmp_path: Path) -> None:
    frame = await proxy_frame(service, "interlaced_tff", tmp_path / "proxy.mp4", seconds=0.5)
    assert combing(frame) < 1.0


@pytest.mark.parametrize("kind", ["vp9_alpha", "prores4444_alpha"])
async def test_alpha_proxy_is_composited_over_black(service: RunningMedia, tmp_path: Path, kind: str) -> None:
    frame = await proxy_frame(service, kind, tmp_path / "proxy.mp4", seconds=0.5)
    h, w = frame.shape[:2]
    x, y = KNOWN.transparent_centre
    assert frame[int(y * h), int(x * w)].max() <= 24  # not the magenta under the transparency
    hx, hy = KNOWN.half_transparent_centre
    half = frame[int(hy * h), int(hx * w)]
    assert 100 <= half[0] <= 150 and half[1] <= 24  # half of magenta over black
    assert is_upright(frame) and greys_close(frame)


@pytest.mark.parametrize("kind", ["hdr10_pq_hevc", "hlg_hevc"])
async def test_hdr_thumbnail_is_tone_mapped_like_the_cli(service: RunningMedia, kind: str) -> None:
    import subprocess

    from svckit.real_world_corpus import ffmpeg_cli

    path = real_world_corpus(kind)
    shown = await thumbnail(service, path, time_seconds=0.5, format=media_pb2.IMAGE_FORMAT_PNG)
    ours = pixels(shown.image).astype(float)
    # The ffmpeg CLI's usual HDR -> SDR recipe (Debian's build has zscale), on the same frame.
    recipe = (
        "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0:peak=10,"
        "zscale=t=bt709,format=gbrp"
    )
    source = [str(ffmpeg_cli()), "-v", "error", "-ss", f"{shown.frame_time_seconds:.3f}", "-i", str(path)]
    done = subprocess.run(
        [*source, "-frames:v", "1", "-vf", recipe, "-f", "image2pipe", "-c:v", "png", "-"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"this ffmpeg CLI cannot tone-map: {done.stderr.decode()[-200:]}")
    cli = np.asarray(Image.open(io.BytesIO(done.stdout)).convert("RGB")).astype(float)
    psnr = 10 * np.log10(255**2 / max(float(((ours - cli) ** 2).mean()), 1e-9))
    assert psnr >= 35
    ours_greys, cli_greys = grey_levels(ours.astype(np.uint8)), grey_levels(cli.astype(np.uint8))
    assert all(abs(a - b) <= 2 for a, b in zip(ours_greys, cli_greys, strict=True)), (ours_greys, cli_greys)
    assert is_upright(ours.astype(np.uint8))


@pytest.mark.parametrize("kind", ["hdr10_pq_hevc", "hlg_hevc"])
async def test_hdr_proxy_is_tone_mapped_like_its_thumbnail(
    service: RunningMedia, tmp_path: Path, kind: str
) -> None:
    frame = await proxy_frame(service, kind, tmp_path / "proxy.mp4", seconds=0.5)
    shown = await thumbnail(
        service, real_world_corpus(kind), time_seconds=0.5, format=media_pb2.IMAGE_FORMAT_PNG
    )
    expected = grey_levels(pixels(shown.image))
    got = grey_levels(frame)
    assert all(abs(a - b) <= 3 for a, b in zip(got, expected, strict=True)), (got, expected)
    assert is_upright(frame)


async def test_no_proxy_of_cover_art(service: RunningMedia, tmp_path: Path) -> None:
    request = media_pb2.CreateProxyRequest(
        path=str(real_world_corpus("mp3_cover")), output_path=str(tmp_path / "proxy.mp4")
    )
    error = error_details(await failure(_last(service.stub.CreateProxy(request, timeout=60))))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NO_VIDEO_STREAM")
    assert not (tmp_path / "proxy.mp4").exists()


async def _last(stream: object) -> object:
    replies = [reply async for reply in stream]  # type: ignore[attr-defined]
    return replies[-1]


# ---- Folder scans --------------------------------------------------------------------------------


async def test_scan_lists_real_world_files_with_cover_art_as_audio(
    service: RunningMedia, tmp_path: Path
) -> None:
    import shutil

    kinds = ["mp3_cover", "phone_rotate_90", "mpegts", "webp_alpha", "loud_51", "mp3_cover_only"]
    for kind in kinds:
        source = real_world_corpus(kind)
        shutil.copy(source, tmp_path / f"{kind}{source.suffix}")
    request = media_pb2.ScanFolderRequest(root=str(tmp_path), thumbnails=True, thumbnail_width=120)
    items = {
        Path(r.item.path).stem: r.item
        async for r in service.stub.ScanFolder(request, timeout=60)
        if r.item.path
    }
    assert set(items) == set(kinds)
    cover = items["mp3_cover"]
    assert not cover.HasField("error")
    assert cover.info.kind == media_pb2.MEDIA_KIND_AUDIO
    assert is_upright(pixels(cover.thumbnail)) and cover.thumbnail_mime_type == "image/jpeg"
    assert items["phone_rotate_90"].info.source.rotation == 90
    assert items["loud_51"].info.kind == media_pb2.MEDIA_KIND_AUDIO and not items["loud_51"].thumbnail
    # A bad file is an item with its error, not the end of the scan.
    assert items["mp3_cover_only"].error.reason == "NOT_MEDIA"


# ---- CLI -----------------------------------------------------------------------------------------


async def test_tstudio_probe_prints_the_source_description(
    service: RunningMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import json

    from tstudio_cli.main import main as tstudio

    for kind, expected in (
        ("phone_rotate_90", {"rotation": 90, "displayWidth": 240, "displayHeight": 320}),
        ("mp3_cover", {"attachedPicture": True, "hasAudio": True}),
        ("hdr10_pq_hevc", {"hdr": "pq", "colorTransfer": "smpte2084", "bitDepth": 10}),
    ):
        path = str(real_world_corpus(kind))
        code = await asyncio.to_thread(tstudio, ["probe", path, "--server", service.address])
        assert code == 0
        source = json.loads(capsys.readouterr().out)["source"]
        assert {key: source.get(key) for key in expected} == expected
