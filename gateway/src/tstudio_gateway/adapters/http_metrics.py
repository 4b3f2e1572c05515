"""RED metrics of the gateway's HTTP side, on the Prometheus endpoint svckit starts
(`GATEWAY_METRICS_PORT`): requests by route, method and status, and their duration; invoked
commands by command and status."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

# svckit's get-or-create on a registry (private there; see the report): several gateways in one
# process (tests) share the default registry, and a metric may be registered only once.
from svckit.telemetry import get_or_create_metric

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

INVOKE_ROUTE = "/api/v1/invoke/{command}"
# Names the gateway does not know are counted under this label, so a client cannot grow the label set.
UNKNOWN_COMMAND = "unknown"


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        def metric(name: str, factory: Callable[[], Any]) -> Any:
            return get_or_create_metric(registry, name, factory)

        self.requests = metric(
            "tstudio_gateway_requests_total",
            lambda: Counter(
                "tstudio_gateway_requests_total",
                "HTTP requests handled, by route template, method and status",
                ["route", "method", "status"],
                registry=registry,
            ),
        )
        self.latency = metric(
            "tstudio_gateway_request_duration_seconds",
            lambda: Histogram(
                "tstudio_gateway_request_duration_seconds",
                "time to the response headers (streams: to their end)",
                ["route"],
                registry=registry,
                buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            ),
        )
        self.commands = metric(
            "tstudio_gateway_commands_total",
            lambda: Counter(
                "tstudio_gateway_commands_total",
                "commands invoked over HTTP, by command (its qualified name) and HTTP status",
                ["command", "status"],
                registry=registry,
            ),
        )
        self.websockets = metric(
            "tstudio_gateway_websockets",
            lambda: Gauge("tstudio_gateway_websockets", "open WebSocket connections", registry=registry),
        )
        # Every name a client may use (bare, qualified, Timeline Studio alias) -> qualified name.
        self._command_labels: dict[str, str] = {}

    def know_commands(self, labels: Mapping[str, str]) -> None:
        """Tell the metrics which command names exist (name -> label); set by the app at start."""
        self._command_labels = dict(labels)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # The route template, not the path, so label values stay few (`/api/v1/invoke/{command}`).
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        started = time.perf_counter()
        is_socket = route == "/api/v1/ws"
        if is_socket:
            self.websockets.inc()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            if is_socket:
                self.websockets.dec()
            self.requests.labels(route, request.method, str(status)).inc()
            self.latency.labels(route).observe(time.perf_counter() - started)
            if route == INVOKE_ROUTE:
                name = request.match_info.get("command", "")
                self.commands.labels(self._command_labels.get(name, UNKNOWN_COMMAND), str(status)).inc()
