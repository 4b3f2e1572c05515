"""Waveform peaks of the first audio stream, decoded with PyAV and reduced with numpy as it
streams (memory stays bounded by the bucket count, not the file length).

Time 0 is the container's start (from the source description), not the first audio sample: audio
that starts 0.5 s late gives 0.5 s of silence first, as a player and the render place it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from svckit.errors import FailedPrecondition, Resource
from svckit.source_description import describe_container

from tstudio_media.adapters.pyav_open import open_media, translate_av_error
from tstudio_media.domain.waveform import Waveform, waveform_window


class PyAVWaveforms:
    """Blocking: call from a worker thread."""

    def waveform(self, path: Path, buckets: int, start: float, end: float) -> Waveform:
        with open_media(path) as container:
            if not container.streams.audio:
                raise FailedPrecondition(
                    f"{path.name} has no audio stream",
                    reason="NO_AUDIO_STREAM",
                    resources=[Resource("file", str(path))],
                )
            if container.streams.audio[0].codec_context is None:
                raise translate_av_error(path, av.error.DecoderNotFoundError(0, "no decoder"))
            source = describe_container(container, path, measure_timing=False, from_headers=True)
            stream = container.streams[source.audio_stream_index]
            duration = _duration(container, stream, source.start_time)
            window = waveform_window(buckets, start, end, duration)
            try:
                container.seek(0, stream=stream, backward=True)
                return _peaks(container, stream, window, source.start_time)
            except (av.error.FFmpegError, EOFError, ValueError) as exc:
                raise translate_av_error(path, exc) from exc


def _duration(container: Any, stream: Any, zero: float) -> float:
    """Where the audio ends on the container's clock (its start is time 0)."""
    if stream.duration and stream.time_base:
        begin = float(stream.start_time * stream.time_base) if stream.start_time is not None else zero
        return max(0.0, begin - zero) + float(stream.duration * stream.time_base)
    return float(container.duration / av.time_base) if container.duration else 0.0


def _peaks(container: Any, stream: Any, window: Any, zero: float) -> Waveform:
    rate = int(stream.codec_context.sample_rate)
    channels = stream.codec_context.layout.nb_channels or 1
    resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=rate)
    first = round(window.start_seconds * rate)
    span = max(1, round(window.end_seconds * rate) - first)
    mins = np.zeros((channels, window.buckets), np.float32)
    maxs = np.zeros((channels, window.buckets), np.float32)
    offset: int | None = None  # sample position on the container's clock (0 = its start)
    for frame in container.decode(stream):
        if offset is None:
            # Placed once by the first frame's timestamp, then counted (no timestamp jitter).
            offset = round(((frame.time if frame.time is not None else zero) - zero) * rate)
        for converted in resampler.resample(frame):
            offset = _reduce(converted.to_ndarray(), offset, first, span, window.buckets, mins, maxs)
        if offset >= first + span:
            break
    channel_peaks = tuple(
        (tuple(float(v) for v in mins[c]), tuple(float(v) for v in maxs[c])) for c in range(channels)
    )
    return Waveform(rate, window, channel_peaks)


def _reduce(
    samples: np.ndarray, offset: int, first: int, span: int, buckets: int, mins: np.ndarray, maxs: np.ndarray
) -> int:
    """Fold one chunk (channels x n) into the per-bucket min/max; returns the new offset."""
    count = samples.shape[1]
    positions = np.arange(offset, offset + count, dtype=np.int64) - first
    inside = (positions >= 0) & (positions < span)
    if inside.any():
        chunk = samples[:, inside]
        index = positions[inside] * buckets // span
        # index is sorted, so each bucket is one run: reduce the runs, then merge with what is there.
        starts = np.concatenate(([0], np.flatnonzero(np.diff(index)) + 1))
        ids = index[starts]
        mins[:, ids] = np.minimum(mins[:, ids], np.minimum.reduceat(chunk, starts, axis=1))
        maxs[:, ids] = np.maximum(maxs[:, ids], np.maximum.reduceat(chunk, starts, axis=1))
    return offset + count
