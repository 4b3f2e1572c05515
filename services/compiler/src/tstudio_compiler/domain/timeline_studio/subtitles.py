"""The frontend's `subtitles` (text, times, position in percent with an anchor, style, animations) as
clips of one text track."""

from __future__ import annotations

import re
from typing import Any

from tstudio_compiler.domain.timeline_studio.reader import Problems, Reader

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_FADES = {"FadeIn": "fadeIn", "FadeOut": "fadeOut"}
_LATER = ("SlideIn", "SlideOut", "TypeWriter", "Bounce")
# Style fields drawn as given, and the ones only approximated (drawn without them).
_APPROXIMATED = ("shadow_color", "letter_spacing", "padding", "border_radius", "max_width")


def colour(reader: Reader, key: str, problems: Problems, alpha: float | None = None) -> str:
    """`#rgb`/`#rrggbb`/`#rrggbbaa` as ours (`#rrggbbaa` when `alpha` 0..1 is given)."""
    text = reader.string(key)
    if not text:
        return ""
    if not _HEX.fullmatch(text):
        problems.refuse(reader.at(key), "must be a colour like #rrggbb")
        return ""
    digits = text[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if alpha is not None and len(digits) == 6:
        digits += f"{round(max(0.0, min(1.0, alpha)) * 255):02x}"
    return "#" + digits.lower()


def subtitle_clip(sub: Reader, frame: tuple[int, int], problems: Problems) -> dict[str, Any] | None:
    """One subtitle as a text clip (our project JSON), or None when it is disabled or refused."""
    if not sub.boolean("enabled", True):
        problems.note(sub.path, "disabled: not drawn")
        return None
    text = sub.string("text", required=True)
    start, end = sub.number("start_time", required=True), sub.number("end_time", required=True)
    if start < 0:
        problems.refuse(sub.at("start_time"), "must not be negative")
    if end <= start:
        problems.refuse(sub.at("end_time"), "must be after start_time")
    if not text.strip():
        problems.refuse(sub.at("text"), "must not be empty")
    style = sub.child("style")
    size = style.number("font_size", 24.0)
    if not 1 <= size <= 1000:
        problems.refuse(style.at("font_size"), "must be within 1..1000")
    line_height = style.number("line_height", 1.2)
    source: dict[str, Any] = {"text": text, "fontSize": size}
    font = style.string("font_family")
    if font:
        source["font"] = font
    for ours, theirs in (("color", "color"), ("strokeColor", "stroke_color")):
        value = colour(style, theirs, problems)
        if value:
            source[ours] = value
    if style.has("background_color"):
        source["backgroundColor"] = colour(
            style, "background_color", problems, style.number("background_opacity", 1.0)
        )
    if style.has("stroke_width"):
        source["strokeWidth"] = max(0.0, style.number("stroke_width"))
    if style.string("font_weight", "Normal") != "Normal":
        problems.note(style.at("font_weight"), "drawn in the font's regular weight")
    for name in _APPROXIMATED:
        if style.has(name):
            problems.note(style.at(name), "not drawn yet")
    position = sub.child("position")
    align_x = position.string("align_x", "Center")
    source["align"] = {"Left": "left", "Right": "right"}.get(align_x, "center")
    clip: dict[str, Any] = {
        "id": sub.string("id") or sub.path,
        "start": start,
        "duration": max(0.0, end - start),
        "source": {"text": source},
        "transform": _centre(position, text, size, line_height, frame, problems),
    }
    for anim in sub.items("animations"):
        kind = anim.string("animation_type", required=True)
        if kind in _FADES:
            clip[_FADES[kind]] = max(0.0, anim.number("duration", 0.5))
            if anim.number("delay", 0):
                problems.note(anim.at("delay"), "fades start at the subtitle's edge")
        elif kind in _LATER:
            problems.refuse(
                anim.at("animation_type"), f"{kind!r} is not rendered yet (FadeIn and FadeOut are)"
            )
        else:
            problems.refuse(anim.at("animation_type"), f"unknown animation {kind!r}")
    return clip


def _centre(
    position: Reader, text: str, size: float, line_height: float, frame: tuple[int, int], problems: Problems
) -> dict[str, float]:
    """Our transform centre for the frontend's anchor point (x, y in percent, aligned by its edges).

    Heights are exact (lines x line height); widths of left/right-anchored text are estimated from the
    longest line, so those are noted as approximate."""
    w, h = frame
    margin = position.child("margin")
    lines = text.split("\n")
    block_h = len(lines) * size * line_height
    block_w = max(len(line) for line in lines) * size * 0.55
    x = position.number("x", 50.0) / 100 * w
    y = position.number("y", 85.0) / 100 * h
    align_x, align_y = position.string("align_x", "Center"), position.string("align_y", "Bottom")
    if align_x == "Left":
        x += margin.number("left", 0) + block_w / 2
    elif align_x == "Right":
        x -= margin.number("right", 0) + block_w / 2
    if align_x in ("Left", "Right"):
        problems.note(position.at("align_x"), "the text's width is estimated to place its edge")
    if align_y == "Top":
        y += margin.number("top", 0) + block_h / 2
    elif align_y == "Bottom":
        y -= margin.number("bottom", 0) + block_h / 2
    return {"x": min(2.0, max(-1.0, x / w)), "y": min(2.0, max(-1.0, y / h))}
