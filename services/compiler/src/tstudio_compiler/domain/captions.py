"""Captions burnt in from a subtitle file: cues, their style, where they go, and the checks a broken
file fails with (by line number). Parsing is in adapters/captions_file.py (pysubs2).

Cue times are seconds in the file; on the timeline a cue at file time c shows at
`clip.start + (c - clip.source_in)`, like a media clip's source time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from tstudio_compiler.domain.colors import parse_color

FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}
POSITIONS = ("bottom", "top", "middle", "custom")


@dataclass(frozen=True)
class CaptionStyle:
    """Unset (zero/empty) fields take the file's style (ASS) or the defaults below."""

    font: str = ""
    font_size: float = 0.0  # default: 5.5 % of the frame height
    color: str = ""  # default white
    outline_color: str = ""  # default black
    outline_width: float = -1.0  # default: font size / 16; 0 turns it off
    shadow_color: str = ""
    shadow_x: float = 0.0
    shadow_y: float = 0.0
    shadow_blur: float = 0.0
    background_color: str = ""
    padding: float = 0.0
    corner_radius: float = 0.0
    position: str = ""  # bottom (default), top, middle or custom (x, y)
    x: float = 0.5
    y: float = 0.9
    margin_v: float = -1.0  # pixels from the top or bottom edge; default 6 % of the frame height
    margin_h: float = -1.0  # pixels kept free at each side; default 5 % of the frame width
    max_lines: int = 0  # 0: no limit
    max_width: float = 0.0  # pixels; 0: the frame width less the side margins
    align: str = ""  # left, center (default), right
    line_height: float = 0.0
    # With ASS karaoke timings, the syllable being sung is drawn in this colour ("" = off).
    highlight_color: str = ""


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    # From the file (ASS style and override tags): position and look the user's style may override.
    # Sizes are fractions of the frame height (ASS sizes are relative to the script's PlayResY).
    position: str = ""
    font: str = ""
    font_size: float = 0.0
    color: str = ""
    outline_color: str = ""
    outline_width: float = -1.0
    # ASS karaoke (\k tags): (start, end) seconds in the file and the range of the cue's visible
    # (non-space) characters each syllable covers.
    syllables: tuple[tuple[float, float, int, int], ...] = ()


@dataclass(frozen=True)
class CaptionsSource:
    path: str
    style: CaptionStyle = field(default_factory=CaptionStyle)
    # Filled when the file is read (Compiler.prepare); `loaded` tells an empty file from an unread one.
    cues: tuple[Cue, ...] = ()
    loaded: bool = False
    # Override tags the file uses that are not drawn (e.g. "\\blur", "\\k" karaoke).
    ignored: tuple[str, ...] = ()

    @property
    def end(self) -> float:
        return max((c.end for c in self.cues), default=0.0)


class CaptionsFileError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


_SRT_TIME = r"(\d+):([0-5]\d):([0-5]\d)[,.](\d{1,3})"
_VTT_TIME = r"(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_LINE = re.compile(rf"^\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}\s*$")
_VTT_LINE = re.compile(rf"^\s*{_VTT_TIME}\s*-->\s*{_VTT_TIME}(\s+.*)?$")
_ASS_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})[.:](\d{1,3})\s*$")


def check_file(content: str, fmt: str) -> None:
    """Raises CaptionsFileError at the first line that breaks the format's timing syntax."""
    lines = content.splitlines()
    if fmt == "vtt":
        if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise CaptionsFileError(1, "a WebVTT file starts with WEBVTT")
    for number, line in enumerate(lines, 1):
        if fmt in ("srt", "vtt") and "-->" in line:
            match = (_SRT_LINE if fmt == "srt" else _VTT_LINE).match(line)
            if match is None:
                raise CaptionsFileError(number, f"malformed cue timing {line.strip()!r}")
            times = _srt_seconds(match.groups()[:4], fmt), _srt_seconds(match.groups()[4:8], fmt)
            if times[1] < times[0]:
                raise CaptionsFileError(number, "the cue ends before it starts")
        elif fmt in ("ass", "ssa") and line.startswith("Dialogue:"):
            parts = line.split(",", 9)
            if len(parts) < 10:
                raise CaptionsFileError(number, "a Dialogue line has 10 comma-separated fields")
            start, end = _ass_seconds(parts[1]), _ass_seconds(parts[2])
            if start is None or end is None:
                raise CaptionsFileError(number, "malformed Dialogue time (H:MM:SS.cc)")
            if end < start:
                raise CaptionsFileError(number, "the cue ends before it starts")


def _srt_seconds(groups: tuple[str | None, ...], fmt: str) -> float:
    h, m, s, ms = groups
    fraction = int(ms or 0) / (10 ** len(ms or "0")) if fmt == "srt" else int(ms or 0) / 1000
    return int(h or 0) * 3600 + int(m or 0) * 60 + int(s or 0) + fraction


def _ass_seconds(text: str) -> float | None:
    match = _ASS_TIME.match(text)
    if match is None:
        return None
    h, m, s, frac = match.groups()
    return int(h) * 3600 + int(m) * 60 + int(s) + int(frac) / (10 ** len(frac))


def check_style(style: CaptionStyle, path: str) -> list[tuple[str, str]]:
    out = []
    if style.position and style.position not in POSITIONS:
        out.append((f"{path}.position", f"must be one of {', '.join(POSITIONS)}"))
    for name, lo, hi in (
        ("font_size", 0, 1000),
        ("shadow_blur", 0, 100),
        ("padding", 0, 1000),
        ("corner_radius", 0, 1000),
        ("max_width", 0, 16384),
        ("line_height", 0, 10),
        ("x", -1, 2),
        ("y", -1, 2),
        ("shadow_x", -1000, 1000),
        ("shadow_y", -1000, 1000),
    ):
        value = getattr(style, name)
        if not math.isfinite(value) or not lo <= value <= hi:
            out.append((f"{path}.{name}", f"must be within {lo:g}..{hi:g}"))
    for name in ("outline_width", "margin_v", "margin_h"):
        value = getattr(style, name)
        if not math.isfinite(value) or not -1 <= value <= 1000:
            out.append((f"{path}.{name}", "must be within 0..1000 (unset: the default)"))
    if not 0 <= style.max_lines <= 20:
        out.append((f"{path}.max_lines", "must be within 0..20"))
    if style.align and style.align not in ("left", "center", "right"):
        out.append((f"{path}.align", "must be left, center or right"))
    for name in ("color", "outline_color", "shadow_color", "background_color", "highlight_color"):
        value = getattr(style, name)
        if value and parse_color(value) is None:
            out.append((f"{path}.{name}", "must be a colour like #rrggbb"))
    return out


def active(cues: tuple[Cue, ...], t: float) -> tuple[int, ...]:
    """Indexes of the cues showing at file time `t` (start inclusive, end exclusive)."""
    return tuple(i for i, c in enumerate(cues) if c.start <= t < c.end)


def sung(cue: Cue, t: float) -> int:
    """The index of the karaoke syllable sung at file time `t`, -1 for none."""
    for index, (start, end, _, _) in enumerate(cue.syllables):
        if start <= t < end:
            return index
    return -1
