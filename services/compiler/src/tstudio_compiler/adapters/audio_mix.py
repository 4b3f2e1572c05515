"""The whole timeline's sound in one pass: each clip decoded, trimmed, run through its filters
(speed, volume, fades, effects) and summed into one buffer at its place."""

from __future__ import annotations

import logging
import threading
from fractions import Fraction
from typing import Any

import av
import av.filter
import numpy as np
from svckit.errors import Cancelled, DataLoss, Resource

from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.plan import AudioInput, RenderPlan

log = logging.getLogger(__name__)
_CHUNK = 4096


def mix(plan: RenderPlan, cancelled: threading.Event | None = None) -> np.ndarray:
    """Float32 samples, shape (channels, frames * rate / fps)."""
    rate, channels = plan.sample_rate, plan.channels
    total = round(plan.duration * rate)
    out = np.zeros((channels, total), dtype=np.float32)
    for clip in plan.audio:
        if cancelled is not None and cancelled.is_set():
            raise Cancelled("render cancelled")
        samples = _run_filters(decode(clip, rate, channels), clip.filters, rate, channels)
        at = round(clip.start * rate)
        length = min(samples.shape[1], round(clip.length * rate), total - at)
        if length > 0:
            out[:, at : at + length] += samples[:, :length]
    return out


def decode(clip: AudioInput, rate: int, channels: int) -> np.ndarray:
    """The source's sound from `source_in` to `source_out`, resampled to the mix format."""
    layout = "stereo" if channels == 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
    parts: list[np.ndarray] = []
    first_time: float | None = None
    try:
        with av.open(clip.path) as container:
            stream: Any = container.streams.audio[0]
            stream.thread_type = "AUTO"
            origin = (container.start_time or 0) / av.time_base
            if clip.source_in > 0.5 and stream.time_base:
                container.seek(
                    int((clip.source_in + origin - 0.5) / stream.time_base), stream=stream, backward=True
                )
            for frame in container.decode(stream):
                if frame.pts is None or frame.time_base is None:
                    continue
                t = float(frame.pts * frame.time_base) - origin
                if t > clip.source_out:
                    break
                if first_time is None:
                    first_time = t
                for converted in resampler.resample(frame):
                    parts.append(converted.to_ndarray().reshape(channels, -1))
            for converted in resampler.resample(None):
                parts.append(converted.to_ndarray().reshape(channels, -1))
    except av.error.FFmpegError as exc:
        if not parts:
            raise DataLoss(
                f"cannot decode the sound of {clip.path}",
                reason="MEDIA_CORRUPT",
                resources=[Resource("file", clip.path)],
            ) from exc
        log.warning("sound of %s ends early: %s", clip.path, exc)
    if not parts or first_time is None:
        return np.zeros((channels, 0), dtype=np.float32)
    samples = np.concatenate(parts, axis=1)
    skip = round((clip.source_in - first_time) * rate)
    if skip < 0:
        samples = np.concatenate([np.zeros((channels, -skip), dtype=np.float32), samples], axis=1)
        skip = 0
    end = round((clip.source_out - first_time) * rate)
    return np.ascontiguousarray(samples[:, skip:end])


def _run_filters(samples: np.ndarray, filters: tuple[Filter, ...], rate: int, channels: int) -> np.ndarray:
    if not filters or samples.shape[1] == 0:
        return samples
    layout = "stereo" if channels == 2 else "mono"
    graph = av.filter.Graph()
    source = graph.add(
        "abuffer", f"sample_rate={rate}:sample_fmt=fltp:channel_layout={layout}:time_base=1/{rate}"
    )
    last = source
    for flt in (
        *filters,
        Filter("aresample", str(rate)),
        Filter("aformat", f"sample_fmts=fltp:channel_layouts={layout}"),
    ):
        ctx = graph.add(flt.name, flt.args or None)
        last.link_to(ctx)
        last = ctx
    sink = graph.add("abuffersink")
    last.link_to(sink)
    graph.configure()
    out: list[np.ndarray] = []

    def drain() -> None:
        while True:
            try:
                pulled: Any = sink.pull()
                out.append(pulled.to_ndarray().reshape(channels, -1))
            except (BlockingIOError, av.error.BlockingIOError, EOFError, av.error.EOFError):
                return

    for start in range(0, samples.shape[1], _CHUNK):
        chunk = np.ascontiguousarray(samples[:, start : start + _CHUNK])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        source.push(frame)
        drain()
    source.push(None)
    drain()
    if not out:
        return np.zeros((channels, 0), dtype=np.float32)
    return np.concatenate(out, axis=1)
