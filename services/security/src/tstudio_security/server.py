"""`create_server(settings, deps)`: the security service's gRPC server, started on port 0 by tests."""

from __future__ import annotations

from svckit.server import GrpcService, ServerHandle
from svckit.server import create_server as create_grpc_server
from tstudio.security.v1 import security_pb2_grpc

from tstudio_security.api.caller import CallerIdentifier
from tstudio_security.api.servicer import SecurityServicer
from tstudio_security.deps import SecurityDeps
from tstudio_security.settings import SecuritySettings

SERVICE_NAME = "tstudio.security.v1.SecurityService"


def create_server(settings: SecuritySettings, deps: SecurityDeps) -> ServerHandle:
    servicer = SecurityServicer(
        deps.secrets,
        deps.oauth,
        CallerIdentifier(deps.service_tokens),
        deps.diagnostics,
        deps.access_tokens,
    )
    service = GrpcService(SERVICE_NAME, servicer, security_pb2_grpc.add_SecurityServiceServicer_to_server)
    return create_grpc_server(settings, [service], service="security")
