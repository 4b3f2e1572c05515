"""Path checks shared by every RPC that takes a file path: only files under the allowed roots."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from svckit.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied, Resource
from svckit.safe_open import Identity, OpenedFile, check_output, lexical, open_regular


class AllowedRoots:
    """Resolves request paths and refuses the ones outside the configured roots.

    Symlinks and `..` are resolved before the check, so neither can escape a root. No roots means
    every path is allowed (the single-user embedded default).
    """

    def __init__(self, roots: Iterable[Path | str] = ()) -> None:
        self.roots = tuple(Path(r).expanduser().resolve() for r in roots)

    def check(self, path: str | Path, field: str = "path") -> Path:
        """Return the resolved path if it is inside a root; it need not exist."""
        text = str(path)
        resolved = lexical(path, field).resolve()
        if self.roots and not any(resolved.is_relative_to(root) for root in self.roots):
            raise PermissionDenied(
                "path is outside the allowed roots",
                reason="PATH_NOT_ALLOWED",
                field_violations=[FieldViolation(field, "outside the allowed roots")],
                resources=[Resource("file", text)],
            )
        return resolved

    def existing_file(self, path: str | Path, field: str = "path") -> Path:
        """Like `check`, and the path must be an existing regular file."""
        resolved = self.check(path, field)
        if not resolved.exists():
            raise NotFound(
                f"no such file: {path}",
                reason="FILE_NOT_FOUND",
                resources=[Resource("file", str(path))],
            )
        if not resolved.is_file():
            raise InvalidArgument(
                f"not a regular file: {path}",
                reason="NOT_A_FILE",
                field_violations=[FieldViolation(field, "must name a file, not a directory")],
            )
        return resolved

    def open_file(self, path: str | Path, field: str = "path") -> OpenedFile:
        """Open a regular file under a root, checked on the descriptor (svckit.safe_open): read
        through the result, never reopen the path. FIFOs, devices and sockets are refused unopened."""
        return open_regular(path, self.roots, field)

    def check_output(
        self, path: str | Path, field: str = "output.path", protect: Iterable[Identity | str | Path] = ()
    ) -> Path:
        """Vet an output path before any work (svckit.safe_open.check_output)."""
        return check_output(path, self.roots, field, protect)
