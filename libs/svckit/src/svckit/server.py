"""gRPC server bootstrap shared by every service.

`create_server` builds a `grpc.aio` server with health, reflection, tracing, RED metrics and the
error interceptor, bound to `settings.host:settings.port` (port 0 picks a free one, for tests).
`serve` runs it until SIGTERM/SIGINT and shuts down in the agreed order: health NOT_SERVING, stop
accepting and let calls finish for `grace_seconds`, then the service's own cleanup (drain NATS).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from svckit.drain import DrainGate
from svckit.grpc_errors import ErrorInterceptor
from svckit.settings import ServiceSettings
from svckit.telemetry import RpcMetrics, server_interceptors, setup_tracing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GrpcService:
    """One servicer and how to add it: `GrpcService("tstudio.media.v1.MediaService", servicer,
    media_pb2_grpc.add_MediaServiceServicer_to_server)`."""

    name: str
    servicer: Any
    add_to_server: Callable[[Any, grpc.aio.Server], None]


@dataclass
class ServerHandle:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    service_names: tuple[str, ...]
    # Answers new calls UNAVAILABLE while stopping, so queued calls are not cut off as CANCELLED.
    gate: DrainGate = field(default_factory=lambda: DrainGate("this"))

    async def start(self) -> None:
        await self.server.start()

    async def set_serving(self, serving: bool) -> None:
        """Report SERVING (dependencies ready) or NOT_SERVING, overall and per service."""
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.service_names):
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        """NOT_SERVING, then drain gRPC's queued calls as UNAVAILABLE until quiet, then stop with
        what is left of `grace` for the calls still running."""
        started = time.monotonic()
        await self.set_serving(False)
        if grace > 0:
            self.gate.close()
            await self.gate.quiet(started + grace)
            log.info("drained: %d queued calls answered UNAVAILABLE", self.gate.rejected)
        await self.server.stop(max(0.0, grace - (time.monotonic() - started)))


def create_server(
    settings: ServiceSettings,
    services: Sequence[GrpcService],
    *,
    service: str,
    extra_interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    documents: Sequence[str] = (),
) -> ServerHandle:
    """Build and bind the server. Health starts NOT_SERVING until `set_serving(True)`. Every
    request's doubles are checked (svckit.finite_numbers); `documents` names request fields whose
    paths are reported relative to them (the compiler's `project`)."""
    setup_tracing(service)
    metrics = RpcMetrics(service)
    gate = DrainGate(service)
    interceptors = [
        *server_interceptors(),
        gate,
        *extra_interceptors,
        ErrorInterceptor(service, observer=metrics.observe, documents=documents),
    ]
    server = grpc.aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 0),
            # Clients reconnect now and then, so new replicas behind a Service receive traffic.
            ("grpc.max_connection_age_ms", settings.max_connection_age_seconds * 1000),
            ("grpc.max_connection_age_grace_ms", int(settings.grace_seconds * 1000)),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for svc in services:
        svc.add_to_server(svc.servicer, server)
    names = tuple(svc.name for svc in services)
    reflection.enable_server_reflection((*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{settings.host}:{settings.port}"
    credentials = _server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, credentials)
    if port == 0:
        raise RuntimeError(f"could not bind {address}")
    return ServerHandle(server=server, port=port, health=health_servicer, service_names=names, gate=gate)


def _server_credentials(settings: ServiceSettings) -> grpc.ServerCredentials | None:
    files = (settings.tls_cert_file, settings.tls_key_file, settings.tls_ca_file)
    if not any(files):
        return None
    if not all(files):
        raise ValueError("mTLS needs the certificate, key and CA files together")
    cert, key, ca = (Path(f).read_bytes() for f in files)
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)


async def serve(
    handle: ServerHandle,
    settings: ServiceSettings,
    *,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully."""
    await handle.start()
    await handle.set_serving(True)
    log.info("serving %s on %s:%d", ", ".join(handle.service_names), settings.host, handle.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down (grace %.1fs)", settings.grace_seconds)
    await handle.stop(settings.grace_seconds)
    for callback in on_shutdown:
        try:
            await callback()
        except Exception:
            log.exception("shutdown step failed")
    log.info("stopped")
