"""`ImportProject`: Timeline Studio's ProjectSchema -> our Project, validated, with every problem
named by the frontend's own field path."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from svckit import errors
from tstudio.compiler.v1 import project_import_pb2, project_pb2

from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.domain.compiler import Compiler, invalid_project
from tstudio_compiler.domain.timeline_studio import ImportResult, SchemaRefused, import_project_schema

_NO_OUTPUT = ("output.path", "is required to render")


def _refusal(violations: list[tuple[str, str]], reason: str) -> errors.InvalidArgument:
    return invalid_project(violations, reason, "the project cannot be rendered")


class ProjectImportRpc:
    def __init__(self, compiler: Compiler) -> None:
        self._compiler = compiler

    async def import_project(
        self, request: project_import_pb2.ImportProjectRequest
    ) -> project_import_pb2.ImportProjectResponse:
        schema: dict[str, Any] = json_format.MessageToDict(request.schema)
        transitions = {
            name for t in self._compiler.catalogs.transitions.all() for name in (t.type, *t.aliases)
        }

        def translate() -> ImportResult:
            return import_project_schema(
                schema,
                base_dir=request.base_dir,
                output_path=request.output_path,
                transitions=transitions,
                source_size=lambda field, path: self._compiler.measure_source(field, path, request.base_dir),
            )

        try:
            result = await self._compiler.run_blocking(translate)
        except SchemaRefused as refused:
            raise _refusal(refused.refused, "UNSUPPORTED_PROJECT_SCHEMA") from None
        project = project_pb2.Project()
        json_format.ParseDict(result.project, project)
        violations = await self._compiler.validate(project_from_proto(project))
        if not request.output_path:
            violations = [v for v in violations if v != _NO_OUTPUT]
        if violations:
            mapped = [(result.frontend_path(f), d) for f, d in violations]
            raise _refusal(mapped, "INVALID_PROJECT_SCHEMA")
        return project_import_pb2.ImportProjectResponse(
            project=project,
            notes=[project_import_pb2.ImportNote(field=f, message=m) for f, m in result.notes],
        )
