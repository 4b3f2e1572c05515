"""gRPC status code -> HTTP status, as google.rpc's code.proto documents the mapping."""

from __future__ import annotations

from svckit.errors import Code, DeadlineExceeded, ResourceExhausted, ServiceError, Unimplemented

HTTP_STATUS: dict[Code, int] = {
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.UNAUTHENTICATED: 401,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
}


def http_status(error: ServiceError) -> int:
    """The error's own HTTP status when it names one (413 for a body too large), else its code's."""
    own = getattr(error, "http_status", None)
    return own if isinstance(own, int) else HTTP_STATUS.get(error.code, 500)


class RequestTooLarge(ResourceExhausted):
    """The body is over the size limit: RESOURCE_EXHAUSTED, but HTTP says 413, not 429."""

    default_reason = "REQUEST_TOO_LARGE"
    http_status = 413


class RequestBodyTimeout(DeadlineExceeded):
    """The request body did not arrive in time: HTTP 408, and the connection is closed."""

    default_reason = "REQUEST_BODY_TIMEOUT"
    http_status = 408


class MethodNotAllowed(Unimplemented):
    """The path exists but not with this method (TRACE, PUT, ...): HTTP says 405, with Allow."""

    default_reason = "METHOD_NOT_ALLOWED"
    http_status = 405
