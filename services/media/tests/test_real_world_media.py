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
from svckit.real_world_corpus import KNOWN, alpha_patches, bar_time, flash_on, grey_levels, is_upright
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
    ["phone_rotate_90", "phone_rotate_180", "phone_rotate_270", "jpeg_exif_3", "jpeg_exif_6", "jpeg_exif_8"],
)
async def test_thumbnails_are_upright(service: RunningMedia, kind: str) -> None:
    shown = await thumbnail(
        service, real_world_corpus(kind), time_seconds=0.5, format=media_pb2.IMAGE_FORMAT_PNG
    )
    image = pixels(shown.image)
    assert is_upright(image)
    assert greys_close(image)
    portrait = kind in ("phone_rotate_90", "phone_rotate_270", "jpeg_exif_6", "jpeg_exif_8")
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
