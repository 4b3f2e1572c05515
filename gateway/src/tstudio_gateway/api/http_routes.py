"""HTTP/JSON endpoints: invoke a command, list commands, the OpenAPI document, health."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from svckit.errors import FieldViolation, InvalidArgument, ServiceError

from tstudio_gateway.adapters.catalogue import NDJSON
from tstudio_gateway.api.errors import error_body
from tstudio_gateway.api.invoker import Invoker
from tstudio_gateway.api.json_input import decode_json, json_bytes
from tstudio_gateway.api.middleware import CALLER
from tstudio_gateway.api.tracing import name_command
from tstudio_gateway.domain.http_status import RequestBodyTimeout

log = logging.getLogger(__name__)

TIMEOUT_HEADER = "X-Request-Timeout"
# Shorter deadlines cannot be met by any call; they are a client bug, not a timeout.
MIN_TIMEOUT_SECONDS = 0.001


def requested_timeout(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not MIN_TIMEOUT_SECONDS <= value < float("inf"):
        raise InvalidArgument(
            f"{TIMEOUT_HEADER} must be a number of seconds, at least {MIN_TIMEOUT_SECONDS}",
            field_violations=[FieldViolation(TIMEOUT_HEADER, f"must be a number >= {MIN_TIMEOUT_SECONDS}")],
        )
    return value


class HttpRoutes:
    def __init__(
        self,
        invoker: Invoker,
        catalogue: dict[str, Any],
        openapi: dict[str, Any],
        body_timeout_seconds: float = 30.0,
    ) -> None:
        self.invoker = invoker
        self.body_timeout_seconds = body_timeout_seconds
        # Both documents only change with the contracts, so they are encoded once.
        self._catalogue = json_bytes(catalogue)
        self._openapi = json_bytes(openapi)

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/api/v1/health", self.health)
        app.router.add_get("/api/v1/commands", self.commands)
        app.router.add_get("/api/v1/openapi.json", self.openapi)
        app.router.add_post("/api/v1/invoke/{command}", self.invoke)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def health(self, request: web.Request) -> web.Response:
        services = await self.invoker.services_health()
        overall = "ok" if all(s == "SERVING" for s in services.values()) else "degraded"
        return web.json_response({"status": overall, "services": services})

    async def commands(self, request: web.Request) -> web.Response:
        return web.Response(body=self._catalogue, content_type="application/json")

    async def openapi(self, request: web.Request) -> web.Response:
        return web.Response(body=self._openapi, content_type="application/json")

    async def invoke(self, request: web.Request) -> web.StreamResponse:
        caller = request[CALLER]
        translated = self.invoker.translated(request.match_info["command"])
        if translated is not None:
            name_command(f"timeline_studio.{translated.name}")
            value = await self.invoker.invoke_translated(
                translated, decode_json(await request.read()), caller
            )
            return web.Response(body=json_bytes(value), content_type="application/json")
        command = self.invoker.resolve(request.match_info["command"], caller)
        name_command(command.qualified)
        args = decode_json(await self._body(request))
        timeout = requested_timeout(request.headers.get(TIMEOUT_HEADER))
        if command.server_streaming:
            return await self._stream(request, command, args, timeout)
        result = await self.invoker.invoke(command, args, timeout=timeout, caller=caller)
        return web.Response(body=json_bytes(result), content_type="application/json")

    async def _body(self, request: web.Request) -> bytes:
        try:
            async with asyncio.timeout(self.body_timeout_seconds):
                return await request.read()
        except TimeoutError:
            raise RequestBodyTimeout(
                f"the request body did not arrive within {self.body_timeout_seconds:g} s"
            ) from None

    async def _stream(
        self, request: web.Request, command: Any, args: Any, timeout: float | None
    ) -> web.StreamResponse:
        """One JSON object per line as each message arrives. An error before the first message is
        an ordinary error response; after it, the last line is `{"error": ...}`."""
        messages = self.invoker.stream(command, args, timeout=timeout, caller=request[CALLER])
        try:
            first = await anext(messages)
        except StopAsyncIteration:
            first = None
        response = web.StreamResponse(headers={"Content-Type": NDJSON, "Cache-Control": "no-store"})
        await response.prepare(request)
        try:
            if first is not None:
                await response.write(json_bytes(first) + b"\n")
                async for message in messages:
                    await response.write(json_bytes(message) + b"\n")
        except ServiceError as exc:
            await response.write(json_bytes(error_body(exc)) + b"\n")
        finally:
            await messages.aclose()
        await response.write_eof()
        return response
