"""RED metrics of the gateway's HTTP side, on the Prometheus endpoint svckit starts
(`GATEWAY_METRICS_PORT`): requests by route, method and status, and their duration."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.requests = Counter(
            "tstudio_gateway_requests_total",
            "HTTP requests handled, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "tstudio_gateway_request_duration_seconds",
            "time to the response headers (streams: to their end)",
            ["route"],
            registry=registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.websockets = Gauge("tstudio_gateway_websockets", "open WebSocket connections", registry=registry)

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
