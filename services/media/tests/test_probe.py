"""Probe through gRPC: fields against the generated media, errors with rich details, events."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
from pathlib import Path

import grpc
import pytest
from svckit.errors import Code
from svckit.grpc_errors import error_details
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2
from tstudio_media.adapters.pyav_open import translate_av_error

from .conftest import Media, RunningMedia, media_settings, start_media
from .media_files import write_rotated_video, write_unknown_codec_wav


async def probe(service: RunningMedia, path: Path | str) -> media_pb2.ProbeResponse:
    return await service.stub.Probe(media_pb2.ProbeRequest(path=str(path)), timeout=30)


async def probe_error(service: RunningMedia, path: Path | str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await probe(service, path)
    return caught.value


async def test_probe_reports_the_generated_video_and_audio(service: RunningMedia, media: Media) -> None:
    info = (await probe(service, media.video)).info
    assert info.kind == media_pb2.MEDIA_KIND_VIDEO
    assert "mp4" in info.container
    assert info.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert info.size_bytes == media.video.stat().st_size
    assert info.bit_rate > 0
    video = next(s for s in info.streams if s.type == media_pb2.STREAM_TYPE_VIDEO)
    assert (video.codec, video.width, video.height) == ("h264", 160, 120)
    assert video.pixel_format == "yuv420p"
    assert video.fps == pytest.approx(30.0)
    assert video.avg_fps == pytest.approx(30.0)
    assert not video.variable_frame_rate
    assert video.frame_count == 60
    assert video.profile
    assert video.rotation == 0
    audio = next(s for s in info.streams if s.type == media_pb2.STREAM_TYPE_AUDIO)
    assert (audio.codec, audio.sample_rate, audio.channels) == ("aac", 48000, 2)
    assert audio.channel_layout == "stereo"
    assert audio.duration_seconds == pytest.approx(2.0, abs=0.1)


async def test_probe_reads_rotation_creation_time_and_language(service: RunningMedia, tmp_path: Path) -> None:
    # A display matrix turning 90° counter-clockwise means the picture is shown turned 270° clockwise.
    path = write_rotated_video(tmp_path / "portrait.mp4", 90, "2026-11-24T10:00:00.000000Z", language="fra")
    info = (await probe(service, path)).info
    assert info.streams[0].rotation == 270
    assert info.streams[0].language == "fra"
    assert info.creation_time.startswith("2026-11-24T10:00:00")
    clockwise = write_rotated_video(tmp_path / "cw.mp4", -90, "2026-01-01T00:00:00Z")
    assert (await probe(service, clockwise)).info.streams[0].rotation == 90


async def test_probe_of_an_audio_only_wav(service: RunningMedia, media: Media) -> None:
    info = (await probe(service, media.wav)).info
    assert info.kind == media_pb2.MEDIA_KIND_AUDIO
    assert info.container == "wav"
    assert info.duration_seconds == pytest.approx(1.0, abs=0.01)
    (audio,) = info.streams
    assert (audio.codec, audio.sample_rate, audio.channels) == ("pcm_s16le", 48000, 2)
    # A plain WAV has no channel mask, so FFmpeg names the layout by its count only.
    assert audio.channel_layout == "2 channels"


async def test_probe_of_a_still_image(service: RunningMedia, media: Media) -> None:
    info = (await probe(service, media.png)).info
    assert info.kind == media_pb2.MEDIA_KIND_IMAGE
    (picture,) = info.streams
    assert (picture.codec, picture.width, picture.height) == ("png", 64, 48)
    assert picture.fps == 0


async def test_probe_publishes_completed_event_with_the_info(service: RunningMedia, media: Media) -> None:
    received: asyncio.Queue[events_pb2.Event] = asyncio.Queue()

    async def on_event(event: events_pb2.Event) -> None:
        await received.put(event)

    await service.bus.subscribe("tstudio.media.probe.*.completed", on_event)
    reply = await probe(service, media.wav)
    event = await asyncio.wait_for(received.get(), 5)
    assert event.subject == f"tstudio.media.probe.{reply.probe_id}.completed"
    assert event.type == "tstudio.media.probe.completed"
    assert event.source == "media"
    assert event.probe_completed.probe_id == reply.probe_id
    assert event.probe_completed.info == reply.info


async def test_missing_file_is_not_found_with_resource(service: RunningMedia, tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    error = error_details(await probe_error(service, missing))
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "FILE_NOT_FOUND"
    assert [r.name for r in error.resources] == [str(missing)]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.mp4", b""),
        ("garbage.mp4", b"this is not a video, just text pretending to be one\n" * 50),
    ],
)
async def test_non_media_is_invalid_argument_with_field(
    service: RunningMedia, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    error = error_details(await probe_error(service, path))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "NOT_MEDIA"
    assert [v.field for v in error.field_violations] == ["path"]
    assert error.metadata["trace_id"]


async def test_truncated_mp4_is_invalid_argument(service: RunningMedia, media: Media, tmp_path: Path) -> None:
    # The muxer writes the index (moov) last, so the first half of the file has no index.
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(media.video.read_bytes()[: media.video.stat().st_size // 2])
    error = error_details(await probe_error(service, truncated))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "NOT_MEDIA"


async def test_directory_is_invalid_argument(service: RunningMedia, tmp_path: Path) -> None:
    error = error_details(await probe_error(service, tmp_path))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == "NOT_A_FILE"
    assert error.field_violations[0].field == "path"


async def test_empty_path_is_invalid_argument(service: RunningMedia) -> None:
    error = error_details(await probe_error(service, ""))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.field_violations[0].field == "path"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
async def test_unreadable_file_is_permission_denied(
    service: RunningMedia, media: Media, tmp_path: Path
) -> None:
    locked = tmp_path / "locked.mp4"
    shutil.copy(media.video, locked)
    locked.chmod(0)
    error = error_details(await probe_error(service, locked))
    assert error.code == grpc.StatusCode.PERMISSION_DENIED


async def test_paths_outside_allowed_roots_are_permission_denied(media: Media, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    inside = allowed / "clip.mp4"
    shutil.copy(media.video, inside)
    escape = allowed / "escape.mp4"
    escape.symlink_to(media.video)  # points outside the root
    async for service in start_media(media_settings(tmp_path, allowed_roots=(allowed,))):
        for outside in (media.video, escape, allowed / ".." / media.video.name):
            error = error_details(await probe_error(service, outside))
            assert error.code == grpc.StatusCode.PERMISSION_DENIED, outside
            assert error.reason == "PATH_NOT_ALLOWED"
        assert (await probe(service, inside)).info.kind == media_pb2.MEDIA_KIND_VIDEO


async def test_service_keeps_serving_after_bad_input(
    service: RunningMedia, media: Media, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.mov"
    garbage.write_bytes(os.urandom(4096))
    for bad in (garbage, tmp_path / "missing.mkv", tmp_path):
        await probe_error(service, bad)
    results = await asyncio.gather(*(probe(service, p) for p in (media.video, media.wav, media.png)))
    assert [r.info.kind for r in results] == [
        media_pb2.MEDIA_KIND_VIDEO,
        media_pb2.MEDIA_KIND_AUDIO,
        media_pb2.MEDIA_KIND_IMAGE,
    ]


async def test_diagnostics_report_ffmpeg_and_codecs(service: RunningMedia) -> None:
    reply = await service.stub.GetDiagnostics(media_pb2.GetDiagnosticsRequest(), timeout=10)
    items = {item.name: item for item in reply.diagnostics.items}
    assert reply.diagnostics.service == "media"
    assert items["ffmpeg.version"].value
    assert items["encoder.libx264"].ok
    assert items["decoder.h264"].ok


async def test_probe_reports_a_stream_without_decoder(service: RunningMedia, tmp_path: Path) -> None:
    info = (await probe(service, write_unknown_codec_wav(tmp_path / "odd.wav"))).info
    assert info.kind == media_pb2.MEDIA_KIND_AUDIO
    assert info.streams[0].codec == "unknown"


def test_os_errors_from_ffmpeg_map_to_clear_statuses(tmp_path: Path) -> None:
    # Root reads any file, so an unreadable one cannot be made here: check the translation itself.

    path = tmp_path / "clip.mp4"
    cases = {
        PermissionError(errno.EACCES, "Permission denied"): Code.PERMISSION_DENIED,
        FileNotFoundError(errno.ENOENT, "No such file"): Code.NOT_FOUND,
        IsADirectoryError(errno.EISDIR, "Is a directory"): Code.INVALID_ARGUMENT,
        OSError(errno.EIO, "I/O error"): Code.INVALID_ARGUMENT,
    }
    for exc, code in cases.items():
        assert translate_av_error(path, exc).code is code, exc
