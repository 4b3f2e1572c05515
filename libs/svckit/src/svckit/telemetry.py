"""OpenTelemetry tracing and Prometheus metrics, set up once per process.

Traces cross gRPC through the opentelemetry-instrumentation-grpc interceptors and cross NATS through
a `traceparent` header (see `svckit.bus`). Spans are exported over OTLP when the standard
`OTEL_EXPORTER_OTLP_ENDPOINT` is set; without it trace ids are still made, so logs and error
messages carry them.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Sequence
from typing import Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server

log = logging.getLogger(__name__)

_setup_lock = threading.Lock()
_provider: TracerProvider | None = None


def setup_tracing(service: str) -> TracerProvider:
    """Install the process-wide tracer provider (idempotent)."""
    global _provider
    with _setup_lock:
        if _provider is not None:
            return _provider
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
        provider = TracerProvider(resource=resource)
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        ):
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            log.info("exporting spans over OTLP")
        trace.set_tracer_provider(provider)
        _provider = provider
        return provider


def shutdown_tracing() -> None:
    if _provider is not None:
        _provider.shutdown()


def server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    return [aio_server_interceptor()]


def client_interceptors() -> Sequence[grpc.aio.ClientInterceptor]:
    """Interceptors for `grpc.aio.insecure_channel(..., interceptors=...)` so calls join the trace."""
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors())


def current_trace_id() -> str:
    """The current trace id as 32 hex digits; a fresh random one when no span is active."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return format(context.trace_id, "032x")
    return secrets.token_hex(16)


def inject_headers() -> dict[str, str]:
    """W3C trace context of the current span, for message headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(headers: dict[str, str] | None) -> Any:
    return propagate.extract(headers or {})


class RpcMetrics:
    """RED metrics per RPC: requests by code, and latency."""

    def __init__(self, service: str, registry: CollectorRegistry = REGISTRY) -> None:
        self._service = service
        self.requests = get_or_create_metric(
            registry,
            "tstudio_rpc_requests_total",
            lambda: Counter(
                "tstudio_rpc_requests_total",
                "RPCs handled, by method and status code",
                ["service", "method", "code"],
                registry=registry,
            ),
        )
        self.latency = get_or_create_metric(
            registry,
            "tstudio_rpc_duration_seconds",
            lambda: Histogram(
                "tstudio_rpc_duration_seconds",
                "RPC handling time",
                ["service", "method"],
                registry=registry,
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            ),
        )

    def observe(self, method: str, code: grpc.StatusCode, seconds: float) -> None:
        self.requests.labels(self._service, method, code.name).inc()
        self.latency.labels(self._service, method).observe(seconds)


def get_or_create_metric(registry: CollectorRegistry, name: str, factory: Any) -> Any:
    """The collector registered under `name`, or `factory()` registering a new one."""
    # Several servers in one process (tests, the embedded default) share one registry.
    existing = registry._names_to_collectors.get(name)
    if existing is None:
        existing = registry._names_to_collectors.get(name.removesuffix("_total"))
    return existing if existing is not None else factory()


def start_metrics_endpoint(port: int, host: str = "0.0.0.0") -> int:
    """Serve /metrics on `port` (0 = off). Returns the port."""
    if port <= 0:
        return 0
    start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return port
