"""Numbers in a project that the other checks would let through: NaN and infinities (every
comparison with NaN is false, so `start < 0` does not catch it), and values so large that frame
arithmetic overflows. A project can also arrive without protobuf (ImportProject), so the domain
checks every float of the model itself, with its field path."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from tstudio_compiler.domain.model import Clip, Project

# Degrees; more than a few turns is a typo, and huge values lose all precision in sin/cos.
MAX_ROTATION = 3600.0
MAX_STROKE_WIDTH = 200.0


def number_violations(project: Project, max_duration: float) -> list[tuple[str, str]]:
    """(field path, why) for every non-finite float and every clip time, fade or transition beyond
    the longest timeline, every rotation and stroke width out of range."""
    v: list[tuple[str, str]] = []
    _finite(project, "", v)
    bad = {field for field, _ in v}
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            _clip_ranges(clip, f"tracks[{ti}].clips[{ci}]", max_duration, bad, v)
    return v


def _finite(value: Any, path: str, v: list[tuple[str, str]]) -> None:
    if isinstance(value, float):
        if not math.isfinite(value):
            v.append((path, "must be a finite number"))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _finite(getattr(value, f.name), f"{path}.{f.name}" if path else f.name, v)
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            _finite(item, f"{path}[{i}]", v)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _finite(item, f"{path}.{key}", v)


def _clip_ranges(clip: Clip, cp: str, max_duration: float, bad: set[str], v: list[tuple[str, str]]) -> None:
    def within(name: str, value: float, top: float, what: str) -> None:
        field = f"{cp}.{name}"
        if field not in bad and math.isfinite(value) and abs(value) > top:
            v.append((field, f"must be within ±{top:g} {what}"))

    for name in ("start", "source_in", "source_out", "duration", "fade_in", "fade_out"):
        within(name, getattr(clip, name), max_duration, "s (the longest timeline)")
    if clip.transition is not None:
        within("transition.duration", clip.transition.duration, max_duration, "s (the longest timeline)")
    within("transform.rotation", clip.transform.rotation, MAX_ROTATION, "degrees")
    text = clip.source.text
    if text is not None:
        field = f"{cp}.source.text.stroke_width"
        if field not in bad and not 0 <= text.stroke_width <= MAX_STROKE_WIDTH:
            v.append((field, f"must be within 0..{MAX_STROKE_WIDTH:g}"))
