"""Timeline Studio project files (the frontend's `ProjectSchema`) handed to `tstudio render`: the
compiler's ImportProject turns them into our Project first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from tstudio.compiler.v1 import compiler_pb2_grpc, project_import_pb2, project_pb2


def is_frontend_schema(data: Any) -> bool:
    """A ProjectSchema has `version`, `timeline` and tracks typed by `track_type`; ours has none."""
    return isinstance(data, dict) and "timeline" in data and "version" in data


def read_frontend_schema(path: Path) -> dict[str, Any] | None:
    """The file's schema when it is a ProjectSchema, else None (it is then read as our format)."""
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return None
    return data if is_frontend_schema(data) else None


def import_frontend_schema(
    stub: compiler_pb2_grpc.CompilerServiceStub, schema: dict[str, Any], path: Path, output: Path | None
) -> tuple[project_pb2.Project, list[str]]:
    """Our Project for the schema (relative media paths resolve against the file's folder), and the
    compiler's notes on what it approximated."""
    message = struct_pb2.Struct()
    message.update(schema)
    target = output or path.with_suffix(".mp4")
    reply = stub.ImportProject(
        project_import_pb2.ImportProjectRequest(
            schema=message, base_dir=str(path.resolve().parent), output_path=str(target.resolve())
        ),
        timeout=60,
    )
    return reply.project, [f"{n.field}: {n.message}" for n in reply.notes]
