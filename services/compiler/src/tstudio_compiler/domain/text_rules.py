"""Validation of the rich-text and text-animation fields of a text clip."""

from __future__ import annotations

import math

from tstudio_compiler.domain import text_motion
from tstudio_compiler.domain.captions import CaptionsSource, check_style
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.model import TextSource, TrackKind

# Bounds keep every rasterised picture within a sane pixel budget.
RANGES = {
    "shadow_x": (-1000.0, 1000.0),
    "shadow_y": (-1000.0, 1000.0),
    "shadow_blur": (0.0, 100.0),
    "letter_spacing": (-100.0, 1000.0),
    "line_height": (0.0, 10.0),
    "max_width": (0.0, 16384.0),
    "padding": (0.0, 1000.0),
    "corner_radius": (0.0, 1000.0),
}


def check(text: TextSource, path: str, length: float | None) -> list[tuple[str, str]]:
    """(field path, why) for `text` at `path` (`...source.text`) on a clip `length` seconds long."""
    out: list[tuple[str, str]] = []
    for name, (lo, hi) in RANGES.items():
        value = getattr(text, name)
        if not math.isfinite(value) or not lo <= value <= hi:
            out.append((f"{path}.{name}", f"must be within {lo:g}..{hi:g}"))
    if text.shadow_color and parse_color(text.shadow_color) is None:
        out.append((f"{path}.shadow_color", "must be a colour like #rrggbb"))
    if text.align and text.align not in ("left", "center", "right"):
        out.append((f"{path}.align", "must be left, center or right"))
    if not out:
        out += _size(text, path)
    out += text_motion.check(text.animate_in, f"{path}.animate_in")
    out += text_motion.check(text.animate_out, f"{path}.animate_out")
    total = sum(a.duration for a in (text.animate_in, text.animate_out) if a is not None)
    if length and total > length + 1e-6:
        out.append((f"{path}.animate_out.duration", f"in + out ({total:g} s) is longer than the clip"))
    return out


def captions_rules(captions: CaptionsSource, path: str, kind: TrackKind) -> list[tuple[str, str]]:
    out = []
    if kind is not TrackKind.TEXT:
        out.append((path, "captions go on a text track"))
    if not captions.path:
        out.append((f"{path}.path", "is required"))
    out += check_style(captions.style, f"{path}.style")
    return out


# The largest side of a rasterised text picture (pixel budget: rasterising allocates width x height).
MAX_SIDE = 16384


def _size(text: TextSource, path: str) -> list[tuple[str, str]]:
    """A generous estimate of the picture's size (glyphs at most 1 em wide), refused when too big."""
    em = max(1.0, text.font_size)
    advance = em + max(0.0, text.letter_spacing)
    line_h = em * 1.2 * (text.line_height or 1.0)
    width = height = 0.0
    for line in text.text.split("\n"):
        natural = len(line) * advance
        if text.max_width > 0:
            rows = max(1, math.ceil(natural / text.max_width))
            width = max(width, min(natural, text.max_width + advance))
        else:
            rows = 1
            width = max(width, natural)
        height += rows * line_h
    margin = 2 * (text.padding + text.stroke_width + 2 * text.shadow_blur + em * 1.6)
    if width + margin > MAX_SIDE or height + margin > MAX_SIDE:
        return [
            (
                f"{path}.text",
                f"the text would be wider or taller than {MAX_SIDE} px; wrap it (max_width) or make it smaller",
            )
        ]
    return []
