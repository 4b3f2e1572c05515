"""Process set-up every service's `__main__` does before building its server."""

from __future__ import annotations

from svckit.json_logging import configure_logging
from svckit.settings import ServiceSettings
from svckit.telemetry import setup_tracing, start_metrics_endpoint


def prepare_process(service: str, settings: ServiceSettings) -> None:
    """JSON (or text) logging with trace ids, the tracer provider, and the metrics endpoint."""
    configure_logging(service, settings.log_level, settings.log_format)
    setup_tracing(service)
    start_metrics_endpoint(settings.metrics_port, settings.host)
