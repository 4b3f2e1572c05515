"""What every request passes through: errors as JSON, CORS, bearer tokens and rate limits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import hdrs, web
from svckit.errors import (
    InvalidArgument,
    NotFound,
    ServiceError,
)
from svckit.telemetry import current_trace_id

from tstudio_gateway.api.errors import error_body, retry_after_header
from tstudio_gateway.domain.auth import FULL_ACCESS, Caller, TokenVerifier, bearer_token, checked_token
from tstudio_gateway.domain.http_status import MethodNotAllowed, RequestTooLarge, http_status
from tstudio_gateway.domain.rate_limit import RateLimiter

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CALLER = web.RequestKey("caller", Caller)

PUBLIC_PATHS = frozenset({"/healthz", "/api/v1/health", "/api/v1/openapi.json"})
# Browsers cannot set headers on WebSocket or EventSource requests; these may carry the token
# in the query string instead.
QUERY_TOKEN_PATHS = frozenset({"/api/v1/ws", "/api/v1/events"})
ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Timeout"


def error_response(error: ServiceError) -> web.Response:
    return web.json_response(error_body(error), status=http_status(error), headers=retry_after_header(error))


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ServiceError as exc:
        response = error_response(exc)
        if response.status == 408:
            response.force_close()  # the rest of the body may still come; the framing is lost
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(_http_error(exc))
        if exc.status == 405 and hdrs.ALLOW in exc.headers:
            response.headers[hdrs.ALLOW] = exc.headers[hdrs.ALLOW]
        return response
    except Exception:
        # Log the cause here; the caller gets only a trace id to quote.
        trace_id = current_trace_id()
        log.exception("unhandled error on %s %s (trace %s)", request.method, request.path, trace_id)
        return web.json_response(
            {
                "error": {
                    "code": "INTERNAL",
                    "status": 500,
                    "message": f"internal error (trace {trace_id})",
                    "reason": "INTERNAL",
                }
            },
            status=500,
        )


def _http_error(exc: web.HTTPException) -> ServiceError:
    if exc.status == 413:
        return RequestTooLarge("the request body is too large")
    if exc.status == 404:
        return NotFound("no such endpoint", reason="NO_SUCH_ENDPOINT")
    if exc.status == 405:
        return MethodNotAllowed("method not allowed on this endpoint")
    return InvalidArgument(exc.reason or "bad request", reason="BAD_REQUEST")


@dataclass(frozen=True)
class Cors:
    origins: frozenset[str]

    def allowed(self, origin: str | None) -> bool:
        return bool(origin) and ("*" in self.origins or origin in self.origins)

    @web.middleware
    async def preflight(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            origin = request.headers.get("Origin")
            if not self.allowed(origin):
                return web.Response(status=403, headers={"Vary": "Origin"})
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Origin": origin or "",
                    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                },
            )
        return await handler(request)

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        # A signal rather than a middleware, so streamed responses (SSE, NDJSON) get the headers too.
        origin = request.headers.get("Origin")
        if self.allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin or ""
            response.headers["Vary"] = "Origin"


@dataclass(frozen=True)
class Guard:
    """Authenticates every non-public request and applies the caller's rate limit."""

    verifier: TokenVerifier
    limiter: RateLimiter
    auth_required: bool = True

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS or request.method == "OPTIONS":
            return await handler(request)
        caller = await self.authenticate(request)
        self.limiter.check(caller.id)
        request[CALLER] = caller
        return await handler(request)

    async def authenticate(self, request: web.Request) -> Caller:
        if not self.auth_required:
            return Caller(id=f"ip:{request.remote}", scopes=FULL_ACCESS)
        header = request.headers.get("Authorization")
        if header is None and request.path in QUERY_TOKEN_PATHS and "access_token" in request.query:
            return await self.verifier.verify(checked_token(request.query["access_token"]))
        return await self.verifier.verify(bearer_token(header))
