"""Listing the media files under a folder (blocking: call from a worker thread)."""

from __future__ import annotations

import os
from pathlib import Path

from svckit.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from svckit.paths import AllowedRoots

from tstudio_media.domain.scan_filter import MAX_FILES, wanted


def media_files(root: Path, recursive: bool, extensions: frozenset[str], roots: AllowedRoots) -> list[Path]:
    """Files under `root` with a wanted extension, sorted. Symlinks are not followed into folders,
    and a symlinked file pointing outside the allowed roots is skipped."""
    if not root.exists():
        raise NotFound(f"no such folder: {root}", reason="FOLDER_NOT_FOUND")
    if not root.is_dir():
        raise InvalidArgument(
            f"not a folder: {root}",
            reason="NOT_A_FOLDER",
            field_violations=[FieldViolation("root", "must be a folder")],
        )
    found: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not wanted(name, extensions):
                continue
            path = Path(folder) / name
            if path.is_symlink():
                try:
                    roots.check(path)
                except PermissionDenied:
                    continue
            found.append(path)
            if len(found) > MAX_FILES:
                raise ResourceExhausted(
                    f"more than {MAX_FILES} media files under {root}", reason="TOO_MANY_FILES"
                )
        if not recursive:
            break
    return sorted(found)
