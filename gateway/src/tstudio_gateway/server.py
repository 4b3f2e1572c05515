"""Builds the gateway's aiohttp application from its settings and dependencies."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from svckit.errors import ServiceError

from tstudio_gateway.adapters.backends import Backends
from tstudio_gateway.adapters.catalogue import catalogue, openapi
from tstudio_gateway.adapters.contracts import Command, discover_commands, local_command
from tstudio_gateway.adapters.event_relay import EventRelay
from tstudio_gateway.adapters.http_metrics import HttpMetrics
from tstudio_gateway.api.http_routes import HttpRoutes
from tstudio_gateway.api.invoker import Deadlines, Invoker
from tstudio_gateway.api.middleware import Cors, Guard, errors_middleware
from tstudio_gateway.api.sse import SseRoutes
from tstudio_gateway.api.tracing import request_tracing
from tstudio_gateway.api.websocket import WebSocketRoutes
from tstudio_gateway.domain.aliases import TIMELINE_STUDIO_ALIASES
from tstudio_gateway.domain.auth import TokenVerifier
from tstudio_gateway.domain.commands import CommandTable
from tstudio_gateway.domain.rate_limit import RateLimiter
from tstudio_gateway.settings import GatewaySettings
from tstudio_gateway.timeline_studio.catalogue import timeline_studio_commands

log = logging.getLogger(__name__)


@dataclass
class GatewayDeps:
    backends: Backends
    verifier: TokenVerifier
    relay: EventRelay
    metrics: HttpMetrics | None = None
    # A server span per HTTP request and WebSocket command. `__main__` turns them on only when
    # spans are exported, like the traced backend channels: each costs ~25 µs, a few percent
    # of the gateway's whole added latency, for spans nobody would see.
    door_spans: bool = True


def command_table() -> CommandTable[Command]:
    """Every RPC in the contracts plus the gateway's own commands, with Timeline Studio's names."""
    return CommandTable(
        [*discover_commands(), local_command("check_services_health")], TIMELINE_STUDIO_ALIASES
    )


def command_labels(table: CommandTable[Command]) -> dict[str, str]:
    """Each name a client may send -> the qualified command it runs (an alias still to come: its target)."""
    labels = {}
    for name in table.names():
        try:
            labels[name] = table.resolve(name).qualified
        except ServiceError:
            labels[name] = table.aliases.get(name, name)
    return labels


def create_app(settings: GatewaySettings, deps: GatewayDeps) -> web.Application:
    table = command_table()
    limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    invoker = Invoker(
        table,
        deps.backends,
        Deadlines(
            unary_seconds=settings.default_timeout_seconds,
            stream_seconds=settings.stream_timeout_seconds,
            max_seconds=settings.max_timeout_seconds,
        ),
        timeline_studio_commands(
            table,
            deps.backends,
            settings.default_timeout_seconds,
            settings.stream_timeout_seconds,
            settings.security_service_token,
        ),
    )
    cors = Cors(frozenset(settings.cors_origins))
    guard = Guard(deps.verifier, limiter, settings.auth_required)
    # Outermost first: metrics see every answer, including the errors rendered inside.
    middlewares = [cors.preflight, errors_middleware, guard.middleware]
    if deps.door_spans:
        middlewares.insert(0, request_tracing)
    if deps.metrics is not None:
        middlewares.insert(0, deps.metrics.middleware)
        deps.metrics.know_commands(command_labels(table))
    app = web.Application(client_max_size=settings.max_request_bytes, middlewares=middlewares)
    app.on_response_prepare.append(cors.on_response_prepare)
    listing = catalogue(table)
    if invoker.timeline_studio is not None:
        # The frontend's own commands, in its shapes (docs/timeline-studio.md), with their scopes.
        translated = invoker.timeline_studio.by_name
        listing["timeline_studio"] = {c.name: {"scopes": list(c.scopes)} for c in translated.values()}
        # A bare RPC name the frontend also uses (cancel_render, get_cache_stats) runs the frontend's
        # command: the RPC answers to its qualified name only.
        for command in listing["commands"]:
            if command.get("short_name") in translated:
                command["short_name"] = None
    HttpRoutes(invoker, listing, openapi(table), body_timeout_seconds=settings.body_timeout_seconds).add_to(
        app
    )
    WebSocketRoutes(
        invoker,
        deps.relay,
        limiter,
        settings.max_request_bytes,
        settings.heartbeat_seconds,
        command_spans=deps.door_spans,
        origin_allowed=cors.allowed,
    ).add_to(app)
    SseRoutes(deps.relay, settings.heartbeat_seconds).add_to(app)
    log.info(
        "gateway knows %d commands and %d Timeline Studio names", len(table.commands), len(table.aliases)
    )
    return app


@dataclass
class GatewayHandle:
    runner: web.AppRunner
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_server(settings: GatewaySettings, deps: GatewayDeps) -> GatewayHandle:
    """Serve on `settings.host:settings.port` (port 0 picks a free one) and return the port."""
    runner = web.AppRunner(
        create_app(settings, deps),
        access_log=None,
        shutdown_timeout=settings.grace_seconds,
        keepalive_timeout=settings.idle_timeout_seconds,
        # How long the unread rest of a body refused early may take to drain: the body timeout.
        lingering_time=settings.body_timeout_seconds,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    sockets = runner.addresses
    port = int(sockets[0][1]) if sockets else settings.port
    return GatewayHandle(runner=runner, port=port)
