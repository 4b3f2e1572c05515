"""Waveform peaks of the first audio stream, decoded with PyAV and reduced with numpy as it
streams (memory stays bounded by the bucket count, not the file length)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from svckit.errors import FailedPrecondition, Resource

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
            stream = container.streams.audio[0]
            duration = _duration(container, stream)
            window = waveform_window(buckets, start, end, duration)
            if stream.codec_context is None:
                raise translate_av_error(path, av.error.DecoderNotFoundError(0, "no decoder"))
            try:
                return _peaks(container, stream, window)
            except (av.error.FFmpegError, EOFError, ValueError) as exc:
                raise translate_av_error(path, exc) from exc


def _duration(container: Any, stream: Any) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return float(container.duration / av.time_base) if container.duration else 0.0


def _peaks(container: Any, stream: Any, window: Any) -> Waveform:
    rate = int(stream.codec_context.sample_rate)
    channels = stream.codec_context.layout.nb_channels or 1
    resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=rate)
    first = round(window.start_seconds * rate)
    span = max(1, round(window.end_seconds * rate) - first)
    mins = np.zeros((channels, window.buckets), np.float32)
    maxs = np.zeros((channels, window.buckets), np.float32)
    offset = 0  # samples decoded so far: time 0 is the first sample
    for frame in container.decode(stream):
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
