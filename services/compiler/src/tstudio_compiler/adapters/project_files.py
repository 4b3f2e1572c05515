"""Nested project files (source.projectPath): proto3 JSON read into the model, relative paths in
it resolved against its own folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from google.protobuf import json_format
from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, Resource
from svckit.safe_open import open_regular
from tstudio.compiler.v1 import project_pb2

from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.domain.model import Project

# A project file larger than this is not a project.
MAX_PROJECT_BYTES = 16 * 1024 * 1024


class JsonProjectFiles:
    """Opened as sources are (svckit.safe_open): a regular file under `roots` (empty: anywhere), so a
    FIFO named .json never blocks a worker."""

    def __init__(self, roots: Iterable[Path | str] = ()) -> None:
        self.roots = tuple(Path(r).expanduser().resolve() for r in roots)

    def load(self, path: str, field: str) -> Project:
        try:
            with open_regular(path, self.roots, field) as opened, open(opened.proc_path, "rb") as handle:
                data = handle.read(MAX_PROJECT_BYTES + 1)
        except NotFound as exc:
            raise FailedPrecondition(
                f"missing project file: {path}",
                reason="PROJECT_FILE_MISSING",
                field_violations=[FieldViolation(field, f"no such file: {path}")],
                resources=[Resource("file", path, "missing")],
            ) from exc
        except OSError as exc:
            raise _unreadable(path, field, exc.strerror or "cannot be read") from exc
        if len(data) > MAX_PROJECT_BYTES:
            raise _unreadable(path, field, "larger than 16 MiB")
        message = project_pb2.Project()
        try:
            json_format.Parse(data.decode("utf-8"), message)
        except (json_format.ParseError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _unreadable(path, field, f"not a project: {exc}") from exc
        if not message.base_dir:
            message.base_dir = os.path.dirname(path)
        return project_from_proto(message)


def _unreadable(path: str, field: str, why: str) -> InvalidArgument:
    return InvalidArgument(
        f"unreadable project file {path}: {why}",
        reason="PROJECT_FILE_UNREADABLE",
        field_violations=[FieldViolation(field, why[:300])],
        resources=[Resource("file", path)],
    )
