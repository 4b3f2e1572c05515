"""The frontend's `ProjectSchema` -> our `Project`, by the compiler's ImportProject RPC.

The compiler owns the mapping (so every client can use it); here its field paths get the
argument's name in front (`projectSchema.tracks[0].clips[1].speed`), so the frontend's message
names the field it sent.
"""

from __future__ import annotations

from typing import Any

from svckit.errors import Code, FieldViolation, ServiceError
from tstudio.compiler.v1 import project_import_pb2, project_pb2

from tstudio_gateway.adapters.upstream_errors import UpstreamError
from tstudio_gateway.timeline_studio.registry import TauriCall


def with_field_prefix(error: ServiceError, command: str, prefix: str) -> ServiceError:
    """`error` with `prefix.` before each field path and the first violation in the message."""
    violations = [
        FieldViolation(f"{prefix}.{v.field}" if v.field else prefix, v.description)
        for v in error.details.field_violations
    ]
    message = f"{command}: {error.message}"
    if violations:
        first = violations[0]
        message += f" ({first.field}: {first.description})"
    return UpstreamError(
        error.code,
        message,
        reason=error.reason,
        metadata=error.metadata,
        field_violations=violations,
        resources=error.details.resources,
        retry_after_seconds=error.details.retry_after_seconds,
    )


async def import_project(
    call: TauriCall, schema: dict[str, Any], field: str, output_path: str = ""
) -> project_pb2.Project:
    """Our Project for the frontend's schema; refusals name `field.<path>`."""
    request = project_import_pb2.ImportProjectRequest(output_path=output_path)
    try:
        request.schema.update(schema)
    except (ValueError, TypeError) as exc:
        raise call.args.error(field, f"is not a JSON object the compiler can read: {exc}") from None
    try:
        response: project_import_pb2.ImportProjectResponse = await call.call(
            "compiler.import_project", request
        )
    except ServiceError as exc:
        if exc.code in (Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION, Code.NOT_FOUND, Code.OUT_OF_RANGE):
            raise with_field_prefix(exc, call.name, call.args.prefix + field) from None
        raise
    return response.project
