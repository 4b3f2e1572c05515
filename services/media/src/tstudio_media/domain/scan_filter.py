"""Which files a folder scan looks at."""

from __future__ import annotations

from collections.abc import Iterable

from svckit.errors import FieldViolation, InvalidArgument

DEFAULT_EXTENSIONS = frozenset(
    {
        # video
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mts", "m2ts", "ts", "mxf", "flv", "wmv", "mpg", "mpeg", "3gp",
        # audio
        "wav", "mp3", "aac", "m4a", "flac", "ogg", "opus", "aiff", "aif", "wma",
        # images
        "png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff", "gif",
    }
)  # fmt: skip
MAX_FILES = 100_000


def scan_extensions(requested: Iterable[str]) -> frozenset[str]:
    """Lower-case extensions without dots; empty means the common media extensions."""
    cleaned = set()
    for index, ext in enumerate(requested):
        name = ext.strip().lower().lstrip(".")
        if not name or "/" in name or "\x00" in name:
            raise InvalidArgument(
                f"invalid extension {ext!r}",
                field_violations=[
                    FieldViolation(f"extensions[{index}]", "must be a file extension like 'mp4'")
                ],
            )
        cleaned.add(name)
    return frozenset(cleaned) or DEFAULT_EXTENSIONS


def wanted(name: str, extensions: frozenset[str]) -> bool:
    if name.startswith("."):
        return False  # hidden files, and our own partial outputs
    _, dot, ext = name.rpartition(".")
    return bool(dot) and ext.lower() in extensions
