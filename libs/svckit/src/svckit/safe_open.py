"""Opening request paths safely: what is checked is what is opened.

`open_regular` opens a file once and returns the descriptor with its identity, after proving on the
descriptor itself that it is a regular file (never a FIFO, device, socket or directory, which could
block a reader forever) and, with allowed roots, that it was reached from a root without following
any symlink swapped in after the check (time-of-check/time-of-use). Callers read through the
descriptor (`OpenedFile.proc_path` for libraries that want a path, e.g. PyAV/FFmpeg), never reopen
the request path. `check_output` vets an output location before any work; `AtomicOutput` writes
outputs by rename from a temp file in the same folder, never onto a protected file (a source).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from svckit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Resource,
)
from svckit.path_text import expanded_path_text

# (st_dev, st_ino): a file's identity, whatever path reaches it.
Identity = tuple[int, int]

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISLNK, "a symbolic link"),
)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; O_NOCTTY: a terminal
# never becomes ours.
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
# Attempts when a path changes under us between resolving it and walking it (a swap in progress).
_ATTEMPTS = 3


def kind_of(mode: int) -> str:
    """What a non-regular file is, for error messages."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


@dataclass
class OpenedFile:
    """An open, verified regular file. Close it (or use `with`) when done."""

    fd: int
    path: Path  # the resolved path it was opened by (for messages and logs only)
    identity: Identity
    size: int

    @property
    def proc_path(self) -> str:
        """A path naming exactly this descriptor (Linux), for libraries that open by name."""
        return f"/proc/self/fd/{self.fd}"

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OpenedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lexical(path: str | Path, field: str) -> Path:
    """The absolute, user-expanded form of a request path; refuses empty and NUL-bearing paths."""
    # Empty, NUL, `~nosuchuser`, over-long names and unencodable text: INVALID_ARGUMENT (path_text).
    return Path(os.path.abspath(expanded_path_text(os.fspath(path), field)))


def _not_allowed(text: str, field: str, why: str = "outside the allowed roots") -> PermissionDenied:
    return PermissionDenied(
        f"path is {why}" if why.startswith("outside") else why,
        reason="PATH_NOT_ALLOWED",
        field_violations=[FieldViolation(field, why)],
        resources=[Resource("file", text)],
    )


def _not_regular(text: str, field: str, mode: int) -> InvalidArgument:
    what = kind_of(mode)
    return InvalidArgument(
        f"not a regular file: {text} is {what}",
        reason="NOT_A_FILE",
        field_violations=[FieldViolation(field, f"must name a regular file, not {what}")],
        resources=[Resource("file", text, what)],
    )


def _os_error(text: str, field: str, exc: OSError) -> Exception:
    if exc.errno == errno.ENOENT:
        return NotFound(f"no such file: {text}", reason="FILE_NOT_FOUND", resources=[Resource("file", text)])
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDenied(
            f"not readable: {text}",
            reason="FILE_NOT_READABLE",
            field_violations=[FieldViolation(field, "is not readable by the service")],
            resources=[Resource("file", text)],
        )
    if exc.errno == errno.ENAMETOOLONG:
        return InvalidArgument(
            "path too long", reason="PATH_TOO_LONG", field_violations=[FieldViolation(field, "is too long")]
        )
    if exc.errno in (errno.ENOTDIR, errno.ELOOP, errno.EXDEV):
        return _not_allowed(text, field, "changed while it was being opened (a symlink swapped in?)")
    return FailedPrecondition(
        f"cannot open {text}: {os.strerror(exc.errno or 0)}",
        reason="FILE_NOT_OPENABLE",
        field_violations=[FieldViolation(field, "cannot be opened")],
        resources=[Resource("file", text)],
    )


def _walk_open(root: Path, relative: Path) -> int:
    """Open `root/relative` one component at a time from the root's descriptor, following no symlink:
    `relative` comes from a resolved path, so a symlink met now was swapped in after resolving."""
    fd = os.open(root, _DIR_FLAGS)
    try:
        parts = relative.parts
        for part in parts[:-1]:
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        if not parts:
            raise IsADirectoryError(errno.EISDIR, "a root itself")
        return os.open(parts[-1], _FILE_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
    finally:
        os.close(fd)


def open_regular(path: str | Path, roots: tuple[Path, ...], field: str = "path") -> OpenedFile:
    """Open `path` for reading as a verified regular file under one of `roots` (resolved; empty allows
    every path). Raises InvalidArgument (not a regular file), NotFound, PermissionDenied (outside the
    roots, unreadable, swapped while opening)."""
    text = os.fspath(path)
    absolute = lexical(path, field)
    for _ in range(_ATTEMPTS):
        resolved = absolute.resolve()
        # A cheap look first: a non-regular file is refused without opening it at all (opening a
        # device can have effects of its own). The fstat below is the check that counts.
        try:
            before = os.stat(resolved)
        except OSError as exc:
            raise _os_error(text, field, exc) from exc
        if not stat.S_ISREG(before.st_mode):
            raise _not_regular(text, field, before.st_mode)
        root = next((r for r in roots if resolved.is_relative_to(r)), None)
        if roots and root is None:
            raise _not_allowed(text, field)
        try:
            if root is None:
                fd = os.open(resolved, _FILE_FLAGS)
            else:
                fd = _walk_open(root, resolved.relative_to(root))
        except IsADirectoryError as exc:
            raise _not_regular(text, field, stat.S_IFDIR) from exc
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                continue  # changed under us: resolve again
            raise _os_error(text, field, exc) from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(text, field, st.st_mode)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return OpenedFile(fd, resolved, (st.st_dev, st.st_ino), st.st_size)
    raise _not_allowed(text, field, "changed while it was being opened (a symlink swapped in?)")


def identity_of(path: str | Path) -> Identity | None:
    """(st_dev, st_ino) of the file a path reaches now, following symlinks; None if there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def check_output(
    path: str | Path,
    roots: tuple[Path, ...],
    field: str = "output.path",
    protect: Iterable[Identity | str | Path] = (),
) -> Path:
    """Vet an output location before any work: under a root, in a writable folder (or one that can be
    made), a name the
    file system takes, not a directory, and not one of `protect` (sources, compared by identity, so a
    symlinked folder or a hard link cannot hide one; paths are looked up now). Returns the resolved
    path to write to."""
    text = os.fspath(path)
    absolute = lexical(path, field)
    name = absolute.name
    if not name or text.endswith(os.sep):
        raise InvalidArgument(
            "the output path names a folder",
            reason="OUTPUT_IS_DIRECTORY",
            field_violations=[FieldViolation(field, "must name a file, not a folder")],
        )
    try:
        name_max = os.pathconf(absolute.parent if absolute.parent.is_dir() else "/", "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    # Room for the hidden temp name (`.<name>.<pid>.<random>.part`) the write goes through.
    if len(os.fsencode(name)) + 32 > name_max:
        raise InvalidArgument(
            f"output file name too long ({len(os.fsencode(name))} bytes)",
            reason="OUTPUT_NAME_TOO_LONG",
            field_violations=[FieldViolation(field, f"the file name must be at most {name_max - 32} bytes")],
        )
    if len(os.fsencode(str(absolute))) >= 4000:
        raise InvalidArgument(
            "output path too long",
            reason="OUTPUT_PATH_TOO_LONG",
            field_violations=[FieldViolation(field, "is too long")],
        )
    resolved = absolute.resolve()
    if roots and not any(resolved.is_relative_to(r) for r in roots):
        raise _not_allowed(text, field)
    # Missing folders are made by the writer; the nearest existing one must be a writable folder.
    parent = resolved.parent
    while not os.path.lexists(parent) and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise FailedPrecondition(
            f"output folder cannot be made: {parent} is not a folder",
            reason="OUTPUT_FOLDER_MISSING",
            field_violations=[FieldViolation(field, f"its folder cannot be made ({parent.name} is a file)")],
            resources=[Resource("folder", str(parent), "not a folder")],
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FailedPrecondition(
            f"output folder is not writable: {parent}",
            reason="OUTPUT_NOT_WRITABLE",
            field_violations=[FieldViolation(field, "its folder is not writable by the service")],
            resources=[Resource("folder", str(parent), "not writable")],
        )
    try:
        existing = os.stat(resolved)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise _os_error(text, field, exc) from exc
    if existing is not None:
        if stat.S_ISDIR(existing.st_mode):
            raise InvalidArgument(
                f"output path is a directory: {text}",
                reason="OUTPUT_IS_DIRECTORY",
                field_violations=[FieldViolation(field, "is an existing folder; name a file")],
            )
        if not stat.S_ISREG(existing.st_mode):
            raise _not_regular(text, field, existing.st_mode)
        protected = {p if isinstance(p, tuple) else identity_of(p) for p in protect}
        if (existing.st_dev, existing.st_ino) in protected:
            raise InvalidArgument(
                "the output would overwrite one of the sources",
                reason="OUTPUT_IS_SOURCE",
                field_violations=[FieldViolation(field, "would overwrite one of the project's sources")],
            )
    return resolved


class AtomicOutput:
    """A hidden temp file beside `final`, renamed over it by `commit` only when complete; removed on
    failure. `protect` (source identities) is checked again just before the rename, so a folder
    swapped for a symlink to the sources' folder while rendering still cannot replace a source."""

    SUFFIX = ".part"

    def __init__(self, final: str | Path, protect: Iterable[Identity] = ()) -> None:
        self.final = Path(final)
        self._protect = set(protect)
        fd, name = tempfile.mkstemp(
            prefix=f".{self.final.name}.pid{os.getpid()}.", suffix=self.SUFFIX, dir=self.final.parent
        )
        os.close(fd)
        self.temp = Path(name)
        self._done = False

    def commit(self) -> None:
        target = identity_of(self.final)
        if target is not None and target in self._protect:
            raise InvalidArgument(
                "the output would overwrite one of the sources",
                reason="OUTPUT_IS_SOURCE",
                field_violations=[
                    FieldViolation("output.path", "would overwrite one of the project's sources")
                ],
            )
        os.replace(self.temp, self.final)
        self._done = True

    def discard(self) -> None:
        if not self._done:
            self.temp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()


def sweep_temp_files(folder: str | Path) -> list[Path]:
    """Remove `AtomicOutput` temp files (`.<name>.pid<pid>.<random>.part`) left in `folder` by
    processes that are gone (a crash, a SIGKILL). Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(AtomicOutput.SUFFIX)):
            continue
        pid = _writer_pid(entry.name)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def _writer_pid(name: str) -> int | None:
    for part in reversed(name.split(".")):
        if part.startswith("pid") and part[3:].isdigit():
            return int(part[3:])
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
