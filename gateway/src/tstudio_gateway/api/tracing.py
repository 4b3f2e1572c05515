"""Server spans at the gateway's door: one per HTTP request and one per WebSocket command.

A trace starts here, or continues the caller's when it sends a W3C `traceparent` (an HTTP header,
or a field of a WebSocket invoke, since browsers cannot set headers on a WebSocket). The gRPC calls
the command makes, the services' work and the log lines written meanwhile all join it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from svckit.errors import ServiceError
from svckit.telemetry import extract_context

from tstudio_gateway.domain.http_status import http_status

_tracer = trace.get_tracer(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Connections that stay open for minutes or hours get no span of their own (it would be exported
# only once they close); each WebSocket command gets one instead. /healthz is polled by probes.
UNTRACED_PATHS = frozenset({"/healthz", "/api/v1/ws", "/api/v1/events"})
COMMAND_ATTRIBUTE = "tstudio.command"


@web.middleware
async def request_tracing(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in UNTRACED_PATHS:
        return await handler(request)
    resource = request.match_info.route.resource
    # The route template, not the path, so span names stay few.
    route = resource.canonical if resource is not None else ""
    with _tracer.start_as_current_span(
        f"{request.method} {route}".rstrip(),
        context=extract_context(dict(request.headers)),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": request.method, "url.path": request.path, "http.route": route},
    ) as span:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _record_status(span, exc.status)
            raise
        _record_status(span, response.status)
        return response


def _record_status(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def name_command(qualified: str) -> None:
    """Record on the current request's span which command it runs (`compiler.render`)."""
    trace.get_current_span().set_attribute(COMMAND_ATTRIBUTE, qualified)


@contextlib.contextmanager
def command_span(qualified: str, traceparent: object) -> Iterator[Span]:
    """The span of one WebSocket command: a child of `traceparent` when the client sent a valid one,
    else the root of a new trace (never the connection's: commands on one socket are unrelated)."""
    carrier = {"traceparent": traceparent} if isinstance(traceparent, str) else {}
    with _tracer.start_as_current_span(
        f"WS {qualified}",
        context=extract_context(carrier),
        kind=SpanKind.SERVER,
        attributes={COMMAND_ATTRIBUTE: qualified, "http.route": "/api/v1/ws"},
    ) as span:
        yield span


def record_failure(error: ServiceError) -> None:
    """Mark the current command's span with the error it answered, as HTTP would have."""
    span = trace.get_current_span()
    span.set_attribute("error.type", error.reason)
    _record_status(span, http_status(error))
