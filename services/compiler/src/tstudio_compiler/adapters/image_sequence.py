"""Numbered images as one video source: a printf pattern (`frames/img%04d.png`) or a folder of
numbered images. FFmpeg's image2 demuxer reads them at its default 25 fps; the planner scales
source times to the clip's own rate (`source.fps`), so nothing else needs to know."""

from __future__ import annotations

import os
import re
from typing import Any

from tstudio_compiler.domain.compositing_validation import SEQUENCE

# The rate image2 reads a sequence at (its default).
BASE_FPS = 25
_NUMBERED = re.compile(
    r"^(?P<prefix>.*?)(?P<number>\d+)(?P<suffix>\.(png|jpe?g|webp|tiff?|bmp|exr|dpx))$", re.I
)


def is_pattern(path: str) -> bool:
    """A printf pattern of numbered images (`img%04d.png`), as the planner hands sequences on."""
    return bool(SEQUENCE.search(os.path.basename(path)))


def is_sequence(path: str) -> bool:
    return is_pattern(path) or os.path.isdir(path)


def pattern_of(path: str) -> str:
    """The printf pattern of a sequence path (a folder: its largest run of numbered images)."""
    if not os.path.isdir(path):
        return path
    groups: dict[tuple[str, str, int], int] = {}
    for name in os.listdir(path):
        match = _NUMBERED.match(name)
        if match:
            digits = match["number"]
            width = len(digits) if digits.startswith("0") else 0
            key = (match["prefix"], match["suffix"], width)
            groups[key] = groups.get(key, 0) + 1
    if not groups:
        raise FileNotFoundError(f"no numbered images in {path}")
    prefix, suffix, width = max(groups, key=lambda k: groups[k])
    number = f"%0{width}d" if width else "%d"
    return os.path.join(path, f"{prefix.replace('%', '%%')}{number}{suffix}")


def images(pattern: str) -> list[tuple[int, str]]:
    """(frame number, file path) of the images present for a pattern, by number."""
    folder, name = os.path.split(pattern)
    match = SEQUENCE.search(name)
    assert match is not None
    head, tail = name[: match.start()].replace("%%", "%"), name[match.end() :].replace("%%", "%")
    spec = re.compile(re.escape(head) + r"(\d+)" + re.escape(tail) + "$")
    found = []
    for entry in os.listdir(folder or "."):
        m = spec.match(entry)
        if m:
            found.append((int(m.group(1)), os.path.join(folder, entry)))
    return sorted(found)


def frame_count(pattern: str) -> int:
    return len(images(pattern))


def fingerprint(pattern: str) -> dict[str, Any]:
    """Identity of a sequence for the segment cache: every image's number, size and mtime."""
    listing = []
    for number, file in images(pattern):
        stat = os.stat(file)
        listing.append([number, stat.st_size, stat.st_mtime_ns])
    return {"sequence": pattern, "images": listing}
