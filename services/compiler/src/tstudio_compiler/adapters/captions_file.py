"""Subtitle files (SRT, WebVTT, ASS/SSA) read with pysubs2 into domain cues.

ASS styles give each cue its font, size (scaled from the script's PlayResY to the frame), colours,
outline and vertical position; the override tags `\\an`, line breaks and karaoke timings (`\\k`...)
are honoured; every other override tag is dropped and listed in `ignored` (ExplainRender's notes
show them).
"""

from __future__ import annotations

import os
import re

import pysubs2

from tstudio_compiler.domain.captions import FORMATS, CaptionsFileError, CaptionsSource, Cue, check_file

MAX_BYTES = 16 * 1024 * 1024
_TAG = re.compile(r"\{([^}]*)\}")
_OVERRIDE = re.compile(r"\\(an|[a-zA-Z]+)(\d*)")


def read_captions(source: CaptionsSource, path: str) -> CaptionsSource:
    """`source` with its cues, from the file at `path` (already checked by the path policy).
    Raises CaptionsFileError (with a line number) for a file that is not valid subtitles."""
    fmt = FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise CaptionsFileError(1, f"unknown subtitle format; use one of {', '.join(FORMATS)}")
    with open(path, "rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise CaptionsFileError(1, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CaptionsFileError(line, "is not UTF-8 text") from None
    check_file(content, fmt)
    try:
        parsed = pysubs2.SSAFile.from_string(content, format_=fmt)
    except (pysubs2.exceptions.Pysubs2Error, ValueError, KeyError, IndexError) as exc:
        raise CaptionsFileError(1, f"cannot be read as {fmt}: {exc}") from None
    ignored: set[str] = set()
    cues = []
    play_res_y = float(parsed.info.get("PlayResY") or 288) if fmt in ("ass", "ssa") else 0.0
    for event in parsed.events:
        if event.is_comment or event.end <= event.start:
            continue
        position = ""
        for tags in _TAG.findall(event.text):
            for name, value in _OVERRIDE.findall(tags):
                if name == "an" and value:
                    position = _numpad(int(value))
                elif name not in ("N", "n", "h", "k", "kf", "ko", "K"):
                    ignored.add(f"\\{name}")
        text = event.plaintext.strip()
        cue = Cue(event.start / 1000, event.end / 1000, text, position, syllables=_syllables(event))
        style = parsed.styles.get(event.style) if play_res_y else None
        if style is not None:
            cue = Cue(
                cue.start,
                cue.end,
                cue.text,
                position or _numpad(int(style.alignment)),
                font=style.fontname if style.fontname.lower() not in ("arial", "") else "",
                font_size=style.fontsize / play_res_y,
                color=_colour(style.primarycolor),
                outline_color=_colour(style.outlinecolor),
                outline_width=style.outline / play_res_y,
                syllables=cue.syllables,
            )
        cues.append(cue)
    return CaptionsSource(source.path, source.style, tuple(cues), True, tuple(sorted(ignored)))


def _syllables(event: pysubs2.SSAEvent) -> tuple[tuple[float, float, int, int], ...]:
    """Karaoke syllables from \\k, \\kf, \\ko, \\K tags (centiseconds each)."""
    out = []
    at = event.start / 1000
    visible = 0
    duration: float | None = None
    # Text pieces between override blocks; a block's \k applies to the piece after it.
    for piece in re.split(r"(\{[^}]*\})", event.text):
        if piece.startswith("{"):
            match = re.search(r"\\[kK][fo]?(\d+)", piece)
            if match:
                duration = int(match.group(1)) / 100
            continue
        plain = piece.replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
        count = sum(1 for ch in plain if not ch.isspace())
        if duration is not None:
            out.append((at, at + duration, visible, visible + count))
            at += duration
            duration = None
        visible += count
    return tuple(out)


def _numpad(alignment: int) -> str:
    return "top" if alignment >= 7 else "middle" if alignment >= 4 else "bottom"


def _colour(color: pysubs2.Color) -> str:
    # ASS alpha counts transparency (0 = opaque).
    return f"#{color.r:02x}{color.g:02x}{color.b:02x}{255 - color.a:02x}"


class SubtitleFiles:
    """The compiler's CaptionsReader."""

    def read(self, source: CaptionsSource, path: str) -> CaptionsSource:
        return read_captions(source, path)
