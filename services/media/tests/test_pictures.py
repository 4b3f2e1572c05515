"""Thumbnail and Filmstrip through gRPC, checked on the pixels of generated media."""

from __future__ import annotations

import io
import os
from pathlib import Path

import grpc
import pytest
from PIL import Image
from svckit.grpc_errors import error_details
from svckit.testing import PALETTE, make_image, make_video
from tstudio.media.v1 import media_pb2

from .conftest import Media, RunningMedia
from .media_files import write_exif_rotated_jpeg, write_huge_png, write_rotated_video

FPS = 30


@pytest.fixture(scope="module")
def long_gop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s, a colour per second, one keyframe every 2 s: a fast thumbnail at 1.5 s shows second 0."""
    return make_video(
        tmp_path_factory.mktemp("gop") / "gop.mp4", seconds=3.0, fps=FPS, gop=2 * FPS, audio_hz=None
    )


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def close_to(actual: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


async def thumbnail(service: RunningMedia, path: Path, **fields: object) -> media_pb2.ThumbnailResponse:
    return await service.stub.Thumbnail(media_pb2.ThumbnailRequest(path=str(path), **fields), timeout=30)


async def failure(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


@pytest.mark.parametrize("seconds", [0.0, 0.5, 1.5, 2.2, 2.99])
async def test_accurate_thumbnail_shows_the_frame_drawn_at_that_time(
    service: RunningMedia, long_gop: Path, seconds: float
) -> None:
    reply = await thumbnail(service, long_gop, time_seconds=seconds, mode=media_pb2.SEEK_MODE_ACCURATE)
    image = picture(reply.image)
    assert close_to(image.getpixel((image.width // 2, image.height // 2)), PALETTE[int(seconds)])
    assert reply.frame_time_seconds <= seconds < reply.frame_time_seconds + 1 / FPS + 1e-6


async def test_fast_thumbnail_uses_the_keyframe_before(service: RunningMedia, long_gop: Path) -> None:
    reply = await thumbnail(service, long_gop, time_seconds=1.5, mode=media_pb2.SEEK_MODE_FAST)
    image = picture(reply.image)
    assert reply.frame_time_seconds == 0.0
    assert close_to(image.getpixel((10, 10)), PALETTE[0])
    later = await thumbnail(service, long_gop, time_seconds=2.5, mode=media_pb2.SEEK_MODE_FAST)
    assert later.frame_time_seconds == pytest.approx(2.0)
    assert close_to(picture(later.image).getpixel((10, 10)), PALETTE[2])


async def test_thumbnail_size_follows_width_height_or_box(service: RunningMedia, media: Media) -> None:
    assert (lambda r: (r.width, r.height))(await thumbnail(service, media.video, width=80)) == (80, 60)
    assert (lambda r: (r.width, r.height))(await thumbnail(service, media.video, height=30)) == (40, 30)
    boxed = await thumbnail(service, media.video, width=100, height=100)
    assert (boxed.width, boxed.height) == (100, 75)
    native = await thumbnail(service, media.video)
    assert (native.width, native.height) == (160, 120)
    assert picture(native.image).size == (160, 120)


async def test_thumbnail_is_turned_for_display(service: RunningMedia, tmp_path: Path) -> None:
    portrait = write_rotated_video(tmp_path / "portrait.mp4", -90)  # shown turned 90° clockwise
    reply = await thumbnail(service, portrait, width=60)
    assert (reply.width, reply.height) == (60, 80)
    assert picture(reply.image).size == (60, 80)


@pytest.mark.parametrize(
    ("fmt", "mime", "magic"),
    [
        (media_pb2.IMAGE_FORMAT_UNSPECIFIED, "image/jpeg", b"\xff\xd8"),
        (media_pb2.IMAGE_FORMAT_PNG, "image/png", b"\x89PNG"),
        (media_pb2.IMAGE_FORMAT_WEBP, "image/webp", b"RIFF"),
    ],
)
async def test_thumbnail_formats(
    service: RunningMedia, media: Media, fmt: int, mime: str, magic: bytes
) -> None:
    reply = await thumbnail(service, media.video, width=40, format=fmt, quality=70)
    assert reply.mime_type == mime
    assert reply.image.startswith(magic)


async def test_thumbnail_of_a_still_image(service: RunningMedia, media: Media) -> None:
    reply = await thumbnail(service, media.png, width=32, time_seconds=5.0, format=media_pb2.IMAGE_FORMAT_PNG)
    assert (reply.width, reply.height) == (32, 24)
    assert picture(reply.image).getpixel((16, 12)) == (255, 0, 0)


async def test_thumbnails_are_cached_until_the_file_changes(service: RunningMedia, tmp_path: Path) -> None:
    path = make_image(tmp_path / "changing.png", color=(0, 0, 255))
    first = await thumbnail(service, path, width=16, format=media_pb2.IMAGE_FORMAT_PNG)
    again = await thumbnail(service, path, width=16, format=media_pb2.IMAGE_FORMAT_PNG)
    assert (first.cached, again.cached) == (False, True)
    assert again.image == first.image
    make_image(path, color=(0, 255, 0))
    os.utime(path, ns=(1, 1_000_000_000))  # a different mtime even on a coarse clock
    changed = await thumbnail(service, path, width=16, format=media_pb2.IMAGE_FORMAT_PNG)
    assert not changed.cached
    assert picture(changed.image).getpixel((8, 6)) == (0, 255, 0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_seconds": -1.0}, "time_seconds"),
        ({"width": 100_000}, "width"),
        ({"height": -5}, "height"),
        ({"quality": 101}, "quality"),
    ],
)
async def test_bad_thumbnail_requests_name_the_field(
    service: RunningMedia, media: Media, fields: dict[str, object], field: str
) -> None:
    error = error_details(await failure(thumbnail(service, media.video, **fields)))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [v.field for v in error.field_violations]


async def test_thumbnail_of_audio_or_huge_picture_is_failed_precondition(
    service: RunningMedia, media: Media, tmp_path: Path
) -> None:
    error = error_details(await failure(thumbnail(service, media.wav)))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NO_VIDEO_STREAM")
    huge = write_huge_png(tmp_path / "huge.png")
    error = error_details(await failure(thumbnail(service, huge, width=100)))
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason in ("PICTURE_SIZE_UNREADABLE", "PICTURE_TOO_LARGE")
    # Still serving.
    assert (await thumbnail(service, media.png, width=8)).width == 8


async def test_filmstrip_tiles_show_their_times(service: RunningMedia, long_gop: Path) -> None:
    reply = await service.stub.Filmstrip(
        media_pb2.FilmstripRequest(
            path=str(long_gop), count=6, tile_width=40, format=media_pb2.IMAGE_FORMAT_PNG
        ),
        timeout=30,
    )
    sheet = picture(reply.image)
    assert (reply.width, reply.height) == sheet.size == (120, 60)  # 3 x 2 tiles of 40x30
    assert [round(t.time_seconds, 3) for t in reply.tiles] == [0.25, 0.75, 1.25, 1.75, 2.25, 2.75]
    for tile in reply.tiles:
        assert tile.frame_time_seconds <= tile.time_seconds < tile.frame_time_seconds + 1 / FPS + 1e-6
        centre = sheet.getpixel((tile.x + tile.width // 2, tile.y + tile.height // 2))
        assert close_to(centre, PALETTE[int(tile.time_seconds)]), tile


async def test_filmstrip_every_interval(service: RunningMedia, long_gop: Path) -> None:
    reply = await service.stub.Filmstrip(
        media_pb2.FilmstripRequest(path=str(long_gop), interval_seconds=1.0, tile_height=30, columns=10),
        timeout=30,
    )
    assert [t.time_seconds for t in reply.tiles] == [0.0, 1.0, 2.0]
    assert [(t.x, t.y) for t in reply.tiles] == [(0, 0), (40, 0), (80, 0)]
    assert (reply.width, reply.height) == (120, 30)
    again = await service.stub.Filmstrip(
        media_pb2.FilmstripRequest(path=str(long_gop), interval_seconds=1.0, tile_height=30, columns=10),
        timeout=30,
    )
    assert again.cached


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"count": 3, "interval_seconds": 1.0}, "count"),
        ({}, "count"),
        ({"count": 100_000}, "count"),
        ({"interval_seconds": 0.001}, "interval_seconds"),
        ({"count": 2, "start_seconds": 50.0}, "start_seconds"),
    ],
)
async def test_bad_filmstrip_requests_name_the_field(
    service: RunningMedia, long_gop: Path, fields: dict[str, object], field: str
) -> None:
    error = error_details(
        await failure(
            service.stub.Filmstrip(media_pb2.FilmstripRequest(path=str(long_gop), **fields), timeout=30)
        )
    )
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [v.field for v in error.field_violations]


async def test_jpeg_exif_orientation_is_probed_and_applied(service: RunningMedia, tmp_path: Path) -> None:
    photo = write_exif_rotated_jpeg(tmp_path / "phone.jpg", 64, 48)
    info = (await service.stub.Probe(media_pb2.ProbeRequest(path=str(photo)), timeout=30)).info
    assert info.kind == media_pb2.MEDIA_KIND_IMAGE
    assert info.streams[0].rotation == 90
    reply = await thumbnail(service, photo)
    assert (reply.width, reply.height) == (48, 64)


async def test_truncated_file_thumbnails_what_is_there_and_refuses_the_rest(
    service: RunningMedia, tmp_path: Path
) -> None:
    # Index first (faststart), then the data cut in half: the header promises 3 s, only ~1.5 s exist.
    whole = make_video(tmp_path / "whole.mp4", seconds=3.0, container_options={"movflags": "faststart"})
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    early = await thumbnail(service, cut, time_seconds=0.5)
    assert early.frame_time_seconds == pytest.approx(0.5, abs=1 / FPS)
    error = error_details(await failure(thumbnail(service, cut, time_seconds=2.5)))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "NOT_MEDIA")
