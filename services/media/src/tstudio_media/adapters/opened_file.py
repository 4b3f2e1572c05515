"""Open a file for the video server and decide on what was opened, not on a path.

A path checked against the allowed roots and opened later can be swapped in between (a symlink to
`/etc/passwd`); a cached decision makes that window as long as the cache keeps it. Here the file is
opened first (without blocking, so a FIFO cannot hang the loop), and the descriptor itself is
checked: a regular file, whose real path (from `/proc/self/fd`, what the kernel actually opened)
is under a root. Nothing about the path is remembered after the request.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from svckit.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, Resource
from svckit.paths import AllowedRoots

_PROC_FD = "/proc/self/fd"
_HAVE_PROC_FD = os.path.isdir(_PROC_FD)
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


@dataclass(frozen=True)
class OpenedFile:
    """An open descriptor with its stat and the real path it was checked by. Close it."""

    fd: int
    stat: os.stat_result
    real_path: str

    @property
    def proc_path(self) -> Path:
        """A path that opens this very file again, whatever happened to its name meanwhile."""
        return Path(f"{_PROC_FD}/{self.fd}" if _HAVE_PROC_FD else self.real_path)

    def close(self) -> None:
        os.close(self.fd)


def open_under_roots(roots: AllowedRoots, path: str, field: str = "path") -> OpenedFile:
    """Open `path` for reading and check the opened file: NotFound, InvalidArgument (not a
    regular file) or PermissionDenied (its real path is outside the roots)."""
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise NotFound("no such file", reason="FILE_NOT_FOUND", resources=[Resource("file", path)]) from None
    try:
        info = os.fstat(fd)
        real = _real_path(fd, path)
        # The roots decide on the kernel's own name for the opened file: absolute, no symlinks,
        # so it is compared as it is (resolving it again would cost more than the open).
        # (Strings, not pathlib: this runs on the event loop for every range request.)
        if roots.roots and not any(_inside(real, str(root)) for root in roots.roots):
            raise PermissionDenied(
                "path is outside the allowed roots",
                reason="PATH_NOT_ALLOWED",
                field_violations=[FieldViolation(field, "outside the allowed roots")],
                resources=[Resource("file", path)],
            )
        if not stat.S_ISREG(info.st_mode):
            raise InvalidArgument(
                "not a regular file",
                reason="NOT_A_FILE",
                field_violations=[FieldViolation(field, "must name a regular file")],
            )
        os.set_blocking(fd, True)
        return OpenedFile(fd, info, real)
    except BaseException:
        os.close(fd)
        raise


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)


def _real_path(fd: int, path: str) -> str:
    try:
        return os.readlink(f"{_PROC_FD}/{fd}")
    except OSError:
        # No /proc (not Linux): the resolved name, then the same file must still be behind it.
        resolved = os.path.realpath(path)
        opened, named = os.fstat(fd), os.stat(resolved)
        if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
            raise NotFound("the file changed while it was opened", reason="FILE_CHANGED") from None
        return resolved
