"""Waveform peaks against generated tones, and ProbeBatch with per-item errors."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_video, make_wav
from tstudio.media.v1 import media_pb2

from .conftest import Media, RunningMedia
from .media_files import write_unknown_codec_wav


async def waveform(service: RunningMedia, path: Path, **fields: object) -> media_pb2.WaveformResponse:
    return await service.stub.Waveform(media_pb2.WaveformRequest(path=str(path), **fields), timeout=30)


async def test_waveform_peaks_match_the_tone_amplitude(service: RunningMedia, tmp_path: Path) -> None:
    # 2 s of 440 Hz at 0.3: every 50 ms bucket holds many periods, so each peaks at ±0.3.
    tone = make_wav(tmp_path / "tone.wav", seconds=2.0, amplitude=0.3, channels=2)
    reply = await waveform(service, tone, buckets=40)
    assert reply.sample_rate == 48000
    assert reply.bucket_seconds == pytest.approx(0.05)
    assert len(reply.channels) == 2
    for channel in reply.channels:
        assert len(channel.min) == len(channel.max) == 40
        assert all(v == pytest.approx(0.3, abs=0.01) for v in channel.max)
        assert all(v == pytest.approx(-0.3, abs=0.01) for v in channel.min)


async def test_waveform_of_a_window_and_of_a_video(
    service: RunningMedia, media: Media, tmp_path: Path
) -> None:
    # Silence then tone would need a mixer; a window of a tone checks the bookkeeping instead.
    tone = make_wav(tmp_path / "mono.wav", seconds=3.0, amplitude=0.5, channels=1)
    window = await waveform(service, tone, buckets=10, start_seconds=1.0, end_seconds=2.0)
    assert window.start_seconds == 1.0
    assert window.bucket_seconds == pytest.approx(0.1)
    assert len(window.channels) == 1
    assert max(window.channels[0].max) == pytest.approx(0.5, abs=0.01)
    video = await waveform(service, media.video, buckets=8)
    assert len(video.channels) == 2
    # AAC is lossy: the 0.5 tone comes back within a few percent, in the middle buckets.
    assert video.channels[0].max[4] == pytest.approx(0.5, abs=0.05)
    assert (await waveform(service, media.video, buckets=8)).cached


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"buckets": 0}, "buckets"), ({"buckets": 10, "start_seconds": 5.0, "end_seconds": 1.0}, "end_seconds")],
)
async def test_bad_waveform_requests(service: RunningMedia, media: Media, fields: dict, field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await waveform(service, media.wav, **fields)
    error = error_details(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [v.field for v in error.field_violations]


async def test_waveform_without_audio_or_decoder_is_failed_precondition(
    service: RunningMedia, tmp_path: Path
) -> None:
    silent = make_video(tmp_path / "silent.mp4", seconds=0.5, audio_hz=None)
    odd = write_unknown_codec_wav(tmp_path / "odd.wav")
    for path, reason in ((silent, "NO_AUDIO_STREAM"), (odd, "UNSUPPORTED_CODEC")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await waveform(service, path, buckets=10)
        error = error_details(caught.value)
        assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, reason)


async def test_probe_batch_streams_each_result_with_its_own_error(
    service: RunningMedia, media: Media, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video" * 100)
    paths = [str(media.video), str(tmp_path / "missing.mov"), str(media.wav), str(garbage), str(media.png)]
    replies = [r async for r in service.stub.ProbeBatch(media_pb2.ProbeBatchRequest(paths=paths), timeout=30)]
    by_index = {r.index: r for r in replies}
    assert sorted(by_index) == [0, 1, 2, 3, 4]
    assert [by_index[i].path for i in range(5)] == paths
    assert by_index[0].info.kind == media_pb2.MEDIA_KIND_VIDEO
    assert (by_index[1].error.code, by_index[1].error.reason) == ("NOT_FOUND", "FILE_NOT_FOUND")
    assert by_index[2].info.kind == media_pb2.MEDIA_KIND_AUDIO
    assert (by_index[3].error.code, by_index[3].error.reason) == ("INVALID_ARGUMENT", "NOT_MEDIA")
    assert by_index[4].info.kind == media_pb2.MEDIA_KIND_IMAGE
    assert not by_index[0].HasField("error") and not by_index[1].HasField("info")
