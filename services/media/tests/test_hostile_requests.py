"""Hostile requests to the media service's RPCs (issue 15 items 6 and 16): non-finite and absurd
times, over-long names, `~user` paths and damaged files are INVALID_ARGUMENT / NOT_FOUND / DATA_LOSS
with the field path, never INTERNAL, and never PERMISSION_DENIED for a file that is readable."""

from __future__ import annotations

import errno
import math
import shutil
import subprocess
from pathlib import Path

import av.error
import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_video
from tstudio.media.v1 import media_pb2
from tstudio_media.adapters.pyav_open import translate_av_error

from .conftest import RunningMedia


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_video(tmp_path / "clip.mp4", seconds=0.5, width=64, height=48)


async def _error(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


def _fields(error: grpc.aio.AioRpcError) -> list[str]:
    return [v.field for v in error_details(error).field_violations]


@pytest.mark.parametrize("seconds", [1e308, math.inf, -math.inf, math.nan, 1e12])
async def test_thumbnail_times_that_no_file_has_are_invalid_argument(
    service: RunningMedia, clip: Path, seconds: float
) -> None:
    error = await _error(
        service.stub.Thumbnail(media_pb2.ThumbnailRequest(path=str(clip), time_seconds=seconds))
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert _fields(error) == ["time_seconds"]


@pytest.mark.parametrize("field", ["start_seconds", "end_seconds"])
async def test_waveform_and_filmstrip_times_are_checked_too(
    service: RunningMedia, clip: Path, field: str
) -> None:
    for request in (
        media_pb2.WaveformRequest(path=str(clip), buckets=10, **{field: math.inf}),
        media_pb2.FilmstripRequest(path=str(clip), count=2, **{field: 1e308}),
    ):
        call = (
            service.stub.Waveform(request)
            if isinstance(request, media_pb2.WaveformRequest)
            else service.stub.Filmstrip(request)
        )
        error = await _error(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
        assert field in _fields(error)


@pytest.mark.parametrize(
    "path",
    [
        "~nosuchuser_tstudio/clip.mp4",
        "/tmp/" + "n" * 300 + ".mp4",
        "/tmp/" + "d/" * 2100 + "clip.mp4",
    ],
    ids=["unknown-user", "long-name", "long-path"],
)
async def test_paths_no_file_can_have_are_invalid_argument(service: RunningMedia, path: str) -> None:
    for call in (
        service.stub.Probe(media_pb2.ProbeRequest(path=path)),
        service.stub.Thumbnail(media_pb2.ThumbnailRequest(path=path)),
    ):
        error = await _error(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
        assert _fields(error) == ["path"]


async def test_a_damaged_file_is_data_loss_or_invalid_argument_not_permission_denied(
    service: RunningMedia, clip: Path, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.wav"
    damaged.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[:2000])
    for path in (damaged, truncated):
        error = await _error(service.stub.Waveform(media_pb2.WaveformRequest(path=str(path), buckets=10)))
        assert error.code() in {grpc.StatusCode.DATA_LOSS, grpc.StatusCode.INVALID_ARGUMENT}, (
            path.name,
            error.code(),
            error.details(),
        )


def _damaged_aac(tmp_path: Path) -> Path:
    """An AAC .m4a (written by Debian's ffmpeg) whose middle is overwritten: FFmpeg's AAC decoder
    answers such packets with -1, which PyAV raises as PermissionError."""
    good = tmp_path / "tone.m4a"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(good)],
        check=True,
    )
    data = good.read_bytes()
    middle = len(data) // 2
    damaged = tmp_path / "damaged.m4a"
    damaged.write_bytes(data[:middle] + b"\x55" * 2000 + data[middle + 2000 :])
    return damaged


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs Debian's ffmpeg CLI")
async def test_a_damaged_aac_file_is_invalid_argument_not_permission_denied(
    service: RunningMedia, tmp_path: Path
) -> None:
    damaged = _damaged_aac(tmp_path)
    error = await _error(service.stub.Waveform(media_pb2.WaveformRequest(path=str(damaged), buckets=10)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert error_details(error).reason == "NOT_MEDIA"


def test_ffmpeg_eperm_on_a_readable_file_means_damaged(tmp_path: Path) -> None:
    readable = tmp_path / "x.m4a"
    readable.write_bytes(b"x")
    error = translate_av_error(readable, av.error.PermissionError(errno.EPERM, "avcodec_send_packet()"))
    assert error.code.name == "INVALID_ARGUMENT"
    missing = tmp_path / "gone" / "x.m4a"
    assert (
        translate_av_error(missing, PermissionError(errno.EACCES, "denied")).code.name == "PERMISSION_DENIED"
    )
