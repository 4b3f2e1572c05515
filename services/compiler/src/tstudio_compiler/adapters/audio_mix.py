"""The whole timeline's sound in one pass: each clip decoded, trimmed, run through its filters
(speed, volume, fades, effects) and summed into one buffer at its place.

Clips stream through in chunks; a long mix lives in a memory-mapped scratch file rather than in
RAM (an hour of 48 kHz stereo float is 1.4 GB).
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.filter
import numpy as np
from svckit.errors import Cancelled, DataLoss, Resource
from svckit.work_watch import beat

from tstudio_compiler.adapters.sound_layout import Downmix
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.adapters.time_stretch import stretch
from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.plan import AudioInput, RenderPlan

log = logging.getLogger(__name__)
_CHUNK = 4096
# Mixes larger than this go to a memory-mapped scratch file.
_IN_MEMORY_BYTES = 64 * 1024 * 1024


def mix(
    plan: RenderPlan,
    cancelled: threading.Event | None = None,
    scratch: Path | None = None,
    sources: SourceFiles = ANY_SOURCE,
) -> np.ndarray:
    """Float32 samples, shape (channels, duration * rate)."""
    rate, channels = plan.sample_rate, plan.channels
    total = round(plan.duration * rate)
    out = _buffer(channels, total, scratch)
    for clip in plan.audio:
        # Negative for a clip that began before a window's first frame: its head is skipped.
        at = round((clip.start - plan.audio_offset) * rate)
        end = min(total, at + round(clip.length * rate))
        sound = decode(clip, rate, channels, sources)
        if clip.ramp is not None:
            sound = _ramped(sound, clip, rate, channels)
        for chunk in _filtered(sound, clip.filters, rate, channels):
            beat()
            if cancelled is not None and cancelled.is_set():
                raise Cancelled("render cancelled")
            skipped = min(max(-at, 0), chunk.shape[1])
            samples, at = chunk[:, skipped:], at + skipped
            if not samples.shape[1]:
                continue
            count = min(samples.shape[1], end - at)
            if count <= 0:
                break
            out[:, at : at + count] += samples[:, :count]
            at += count
    return out


def _ramped(sound: Iterator[np.ndarray], clip: AudioInput, rate: int, channels: int) -> Iterator[np.ndarray]:
    """A ramped clip's sound, time-stretched along the ramp (whole clip at once: ramps are short)."""
    assert clip.ramp is not None
    parts = list(sound)
    source = np.concatenate(parts, axis=1) if parts else np.zeros((channels, 0), dtype=np.float32)
    yield stretch(source, clip.ramp, rate, round(clip.length * rate))


def _buffer(channels: int, total: int, scratch: Path | None) -> np.ndarray:
    if channels * total * 4 <= _IN_MEMORY_BYTES:
        return np.zeros((channels, total), dtype=np.float32)
    handle, name = tempfile.mkstemp(prefix=".mix-", suffix=".f32", dir=scratch)
    os.close(handle)
    try:
        buffer = np.memmap(name, dtype=np.float32, mode="w+", shape=(channels, total))
    finally:
        os.unlink(name)  # the mapping keeps the pages; nothing is left behind on disk
    return buffer


def decode(
    clip: AudioInput, rate: int, channels: int, sources: SourceFiles = ANY_SOURCE
) -> Iterator[np.ndarray]:
    """The source's sound from `source_in` to `source_out` in the mix format, chunk by chunk."""
    layout = "stereo" if channels == 2 else "mono"
    downmix = Downmix(rate, layout)
    wanted = round((clip.source_out - clip.source_in) * rate)
    skip: int | None = None
    given = 0
    try:
        with sources.open(clip.path) as container:
            stream: Any = container.streams.audio[0]
            stream.thread_type = "AUTO"
            origin = (container.start_time or 0) / av.time_base
            if clip.source_in > 0.5 and stream.time_base:
                container.seek(
                    int((clip.source_in + origin - 0.5) / stream.time_base), stream=stream, backward=True
                )
            frames = (f for f in container.decode(stream) if f.pts is not None and f.time_base is not None)
            for frame in itertools.chain(frames, (None,)):
                if frame is None:
                    converted_all = downmix.flush()  # the resampler's tail
                else:
                    if skip is None:
                        first = float(frame.pts * frame.time_base) - origin  # type: ignore[operator]
                        skip = round((clip.source_in - first) * rate)
                        if skip < 0:  # the sound starts after source_in: silence first
                            pad = min(-skip, wanted)
                            yield np.zeros((channels, pad), dtype=np.float32)
                            given, skip = pad, 0
                    converted_all = downmix.convert(frame)
                for converted in converted_all:
                    samples = converted.reshape(channels, -1)
                    if skip:
                        dropped = min(skip, samples.shape[1])
                        samples, skip = samples[:, dropped:], skip - dropped
                    samples = samples[:, : wanted - given]
                    if samples.shape[1]:
                        given += samples.shape[1]
                        yield np.ascontiguousarray(samples)
                if given >= wanted:
                    return
    except av.error.FFmpegError as exc:
        if not given:
            raise DataLoss(
                f"cannot decode the sound of {clip.path}",
                reason="MEDIA_CORRUPT",
                resources=[Resource("file", clip.path)],
            ) from exc
        log.warning("sound of %s ends early: %s", clip.path, exc)


def _filtered(
    chunks: Iterator[np.ndarray], filters: tuple[Filter, ...], rate: int, channels: int
) -> Iterator[np.ndarray]:
    if not filters:
        yield from chunks
        return
    layout = "stereo" if channels == 2 else "mono"
    graph = av.filter.Graph()
    source = graph.add(
        "abuffer", f"sample_rate={rate}:sample_fmt=fltp:channel_layout={layout}:time_base=1/{rate}"
    )
    last = source
    tail = (Filter("aresample", str(rate)), Filter("aformat", f"sample_fmts=fltp:channel_layouts={layout}"))
    for flt in (*filters, *tail):
        ctx = graph.add(flt.name, flt.args or None, name=flt.ref)
        last.link_to(ctx)
        last = ctx
    sink = graph.add("abuffersink")
    last.link_to(sink)
    graph.configure()

    def drain() -> Iterator[np.ndarray]:
        while True:
            try:
                pulled: Any = sink.pull()
            except (BlockingIOError, av.error.BlockingIOError, EOFError, av.error.EOFError):
                return
            yield pulled.to_ndarray().reshape(channels, -1)

    pts = 0
    for samples in chunks:
        for start in range(0, samples.shape[1], _CHUNK):
            part = np.ascontiguousarray(samples[:, start : start + _CHUNK])
            frame = av.AudioFrame.from_ndarray(part, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += part.shape[1]
            source.push(frame)
            yield from drain()
    source.push(None)
    yield from drain()
