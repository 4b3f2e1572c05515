"""Subtitle file formats the frontend reads and writes (SRT, WebVTT, ASS/SSA): the format of a
path, and whether a text looks like that format. Pure Python."""

from __future__ import annotations

from pathlib import PurePath

FORMATS = {"srt": "srt", "vtt": "vtt", "ass": "ass", "ssa": "ass"}
EXTENSIONS = tuple(FORMATS)


def format_of(path: str) -> str | None:
    """ "srt", "vtt" or "ass" by the file's extension; None for anything else."""
    return FORMATS.get(PurePath(path).suffix.lower().lstrip("."))


def content_problem(fmt: str, content: str) -> str | None:
    """Why `content` is not a `fmt` subtitle file, or None when it looks like one."""
    text = content.lstrip("\ufeff")
    if fmt == "srt":
        if " --> " not in text or not any(line.strip().isdigit() for line in text.splitlines()):
            return "an SRT file needs numbered cues with 'start --> end' times"
    elif fmt == "vtt":
        if not text.startswith("WEBVTT"):
            return "a WebVTT file starts with 'WEBVTT'"
    elif fmt == "ass":
        if "[Script Info]" not in text and "[Events]" not in text:
            return "an ASS/SSA file has a [Script Info] or [Events] section"
    else:
        return "the format must be srt, vtt or ass"
    return None
