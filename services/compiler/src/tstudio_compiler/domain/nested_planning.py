"""Placing a nested timeline on the parent's frame grid, and its sound in the parent's mix."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from tstudio_compiler.domain.colour_management import OutputColour
from tstudio_compiler.domain.filtergraph import Filter, options
from tstudio_compiler.domain.model import Clip, TrackKind
from tstudio_compiler.domain.plan import AudioInput, RenderPlan
from tstudio_compiler.domain.timing import frame_span


def place_nested(
    clip: Clip, kind: TrackKind, inner: RenderPlan, fps: float, placed: Callable[..., Any]
) -> Any:
    """The clip on the grid: its `duration`, else its `sourceOut`, else the nested timeline's length
    (past the nested end its last frame holds)."""
    length = clip.duration or clip.source_out or inner.duration
    start, end = frame_span(clip.start, length, fps)
    return placed(clip, kind, start, end, "nested", "", inner.width, inner.height, nested=inner)


def nested_audio(
    tracks: Sequence[Sequence[Any]], nested: Mapping[str, RenderPlan], fps: float
) -> tuple[AudioInput, ...]:
    """The nested timelines' sound inputs, moved to their clips' places and cut at their ends."""
    out: list[AudioInput] = []
    for track in tracks:
        for p in track:
            inner = nested.get(p.clip.id)
            if inner is None or p.clip.muted:
                continue
            start, end = p.start_frame / fps, p.end_frame / fps
            for a in inner.audio:
                at = start + a.start
                length = min(a.length, end - at)
                if length <= 0:
                    continue
                volume = p.clip.volume
                filters = a.filters if volume == 1 else (*a.filters, _volume(volume))
                out.append(replace(a, label=f"n{len(out)}", start=at, length=length, filters=filters))
    return tuple(out)


def nested_to_rgb(colour: OutputColour, alpha: bool) -> list[Filter]:
    """A nested timeline's frames (the working YUV of its own plan) into RGB(A) by the working
    matrix and range, explicitly: for an RGB output's graph, or the alpha filters after it."""
    scale = options(in_range=colour.range, in_color_matrix=colour.matrix)
    return [Filter("scale", scale), Filter("format", "rgba" if alpha else "rgb24")]


def _volume(volume: float) -> Any:
    return Filter("volume", options(volume=volume))
