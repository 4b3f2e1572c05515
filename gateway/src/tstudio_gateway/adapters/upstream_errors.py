"""A failed backend call, turned back into a domain error the HTTP/WebSocket layer can render.

The details a service packed (field violations, resources, retry hints) pass through; messages that
could carry internals (INTERNAL, UNKNOWN, transport errors naming addresses) are replaced by
generic ones with the trace id.
"""

from __future__ import annotations

import grpc
from svckit.errors import Code, ServiceError
from svckit.grpc_errors import error_details
from svckit.telemetry import current_trace_id

from tstudio_gateway.domain.commands import CommandNotAvailable


class UpstreamError(ServiceError):
    """An error a backend service answered with, carrying its code and details."""

    def __init__(self, code: Code, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.code = code


def translate(error: grpc.RpcError, command: str, service: str, timeout: float | None) -> ServiceError:
    rich = error_details(error)
    code = Code[rich.code.name]
    trace_id = rich.metadata.get("trace_id") or current_trace_id()
    metadata = {"command": command, "service": service, "trace_id": trace_id}
    if code is Code.UNIMPLEMENTED:
        return CommandNotAvailable(
            f"{command!r} is not available yet: the {service} service does not implement it",
            metadata=metadata,
        )
    if code in (Code.UNAVAILABLE, Code.CANCELLED):
        # A CANCELLED that reaches here came from upstream (a server stopping kills queued calls
        # with RST_STREAM(CANCEL)): when our own client goes away, the awaiting task is cancelled
        # instead and no RpcError is raised. Either way the call may be retried: 503, not 499.
        return UpstreamError(
            Code.UNAVAILABLE,
            f"the {service} service is unavailable; try again",
            reason="SERVICE_UNAVAILABLE",
            metadata=metadata,
            retry_after_seconds=1,
        )
    if code is Code.DEADLINE_EXCEEDED:
        limit = f" of {timeout:g}s" if timeout else ""
        return UpstreamError(
            code, f"the deadline{limit} passed", reason="DEADLINE_EXCEEDED", metadata=metadata
        )
    if code in (Code.INTERNAL, Code.UNKNOWN, Code.DATA_LOSS) and not rich.reason:
        # Not one of ours (no ErrorInfo): its text may hold internals.
        return UpstreamError(code, f"internal error (trace {trace_id})", reason="INTERNAL", metadata=metadata)
    return UpstreamError(
        code,
        rich.message,
        reason=rich.reason or code.value,
        metadata={**rich.metadata, **metadata},
        field_violations=rich.field_violations,
        resources=rich.resources,
        quota_violations=rich.quota_violations,
        retry_after_seconds=rich.retry_after_seconds,
    )
