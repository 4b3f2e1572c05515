"""The render engine behind distributed rendering: `PyAvSegmentRenderer` encodes one described
segment (tstudio_compiler.scale's `SegmentRenderer` port), `job_spec` turns a plan into the segments
a job queues, and `write_audio` encodes the whole-timeline mix the joiner muxes beside them
(`cached_audio` takes it from the segment cache when the sound did not change)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from tstudio_compiler.adapters import audio_mix
from tstudio_compiler.adapters.image_sequence import fingerprint as sequence_fingerprint
from tstudio_compiler.adapters.image_sequence import is_sequence
from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer
from tstudio_compiler.domain.encoding import EncodeSettings
from tstudio_compiler.domain.plan import RenderPlan
from tstudio_compiler.domain.segment_description import ENGINE_VERSION, describe, from_description
from tstudio_compiler.scale.adapters.fingerprint import fingerprint_file
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.domain.render_ports import JobSpec, SegmentSpec, SegmentTask
from tstudio_compiler.scale.domain.segment_keys import segment_key


class PyAvSegmentRenderer:
    """Encodes a segment with the same decode -> graph -> encode path as a whole render."""

    def __init__(self, renderer: PyAvRenderer | None = None) -> None:
        self._renderer = renderer or PyAvRenderer()

    async def render(self, task: SegmentTask) -> Path:
        plan, encode = from_description(task.segment.description, str(task.output_path))
        await asyncio.to_thread(self._renderer.render, plan, encode, lambda *_: None, task.cancelled)
        return task.output_path


def source_fingerprints(plan: RenderPlan) -> dict[str, dict[str, Any]]:
    """Fingerprint of every file the plan reads (picture and sound), each file read once."""
    paths = {spec.path for s in plan.segments for spec in s.graph.inputs if spec.path}
    paths |= {a.path for a in plan.audio if a.path}
    return {
        path: sequence_fingerprint(path) if is_sequence(path) else fingerprint_file(path).as_json()
        for path in sorted(paths)
    }


def job_spec(
    plan: RenderPlan,
    encode: EncodeSettings,
    job_id: str,
    audio_path: str = "",
    fingerprints: Mapping[str, Mapping[str, Any]] | None = None,
) -> JobSpec:
    """The plan's segments, each keyed by its description and its sources' fingerprints
    (`source_fingerprints(plan)` when not given)."""
    if fingerprints is None:
        fingerprints = source_fingerprints(plan)
    segments = []
    for segment in plan.segments:
        description = describe(plan, segment, encode, fingerprints)
        segments.append(SegmentSpec(segment.index, segment_key(description, ENGINE_VERSION), description))
    return JobSpec(job_id, tuple(segments), plan.output.path, audio_path)


def write_audio(plan: RenderPlan, encode: EncodeSettings, path: Path) -> Path:
    """The timeline's mix encoded on its own (`.m4a`), for the joiner to mux beside the picture."""
    mix = audio_mix.mix(plan, scratch=path.parent)
    layout = "stereo" if plan.channels == 2 else "mono"
    with av.open(str(path), "w", format="mp4") as container:
        stream: Any = container.add_stream(encode.audio_encoder or "aac", rate=plan.sample_rate)
        stream.layout = layout
        if encode.audio_bit_rate:
            stream.bit_rate = encode.audio_bit_rate
        for start in range(0, mix.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(mix[:, start : start + 1024]), format="fltp", layout=layout
            )
            frame.sample_rate, frame.pts, frame.time_base = (
                plan.sample_rate,
                start,
                Fraction(1, plan.sample_rate),
            )
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def cached_audio(
    plan: RenderPlan,
    encode: EncodeSettings,
    path: Path,
    cache: SegmentCache | None,
    fingerprints: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """`write_audio`, through the cache: the mix is keyed like a segment (its inputs, their filters
    and their files' fingerprints, the format and the encoder), so an edit of the picture alone
    reuses the encoded sound — which otherwise costs most of a re-render (AAC encodes ~35x realtime)."""
    if cache is None:
        return write_audio(plan, encode, path)
    key = audio_key(plan, encode, source_fingerprints(plan) if fingerprints is None else fingerprints)
    if cache.fetch(key, path):
        return path
    write_audio(plan, encode, path)
    cache.put(key, path)
    return path


def audio_key(plan: RenderPlan, encode: EncodeSettings, fingerprints: Mapping[str, Mapping[str, Any]]) -> str:
    description = {
        "kind": "audio",
        "sample_rate": plan.sample_rate,
        "channels": plan.channels,
        "frames": plan.frames,
        "fps": plan.fps,
        "offset": plan.audio_offset,
        "inputs": [
            {**dataclasses.asdict(a), "fingerprint": fingerprints.get(a.path, {})} for a in plan.audio
        ],
        "encoder": encode.audio_encoder,
        "bit_rate": encode.audio_bit_rate,
    }
    return segment_key(description, ENGINE_VERSION)
