"""Process set-up every service's `__main__` does before building its server."""

from __future__ import annotations

import logging

from svckit.json_logging import configure_logging
from svckit.settings import ServiceSettings
from svckit.telemetry import setup_tracing, start_metrics_endpoint


def prepare_process(service: str, settings: ServiceSettings) -> None:
    """JSON (or text) logging with trace ids, the tracer provider, and the metrics endpoint."""
    configure_logging(service, settings.log_level, settings.log_format)
    setup_tracing(service)
    start_metrics_endpoint(settings.metrics_port, settings.host)
    warn_open_roots(service, settings)


def warn_open_roots(service: str, settings: ServiceSettings) -> bool:
    """Log a warning when a service that reads request paths has no allowed roots (any file on the
    machine is then readable through it); True when it warned."""
    roots = getattr(settings, "allowed_roots", None)
    if roots is None or roots:
        return False
    prefix = service.upper()
    logging.getLogger(__name__).warning(
        "%s_ALLOWED_ROOTS is empty: every path on this machine can be read through this service; "
        "set it to the folders requests may use",
        prefix,
    )
    return True
