"""`create_server(settings, deps)`: the media gRPC server, built the same way for `__main__`
and for tests (which bind port 0)."""

from __future__ import annotations

from dataclasses import dataclass

from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots
from svckit.server import GrpcService, ServerHandle
from svckit.server import create_server as create_grpc_server
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from tstudio_media.adapters.media_events import MediaEvents
from tstudio_media.api.media_servicer import MediaServicer
from tstudio_media.domain.ports import DiagnosticsSource, Prober
from tstudio_media.settings import MediaSettings

SERVICE_NAME = media_pb2.DESCRIPTOR.services_by_name["MediaService"].full_name


@dataclass(frozen=True)
class MediaDeps:
    """Everything the servicer uses, built by the composition root."""

    executor: BlockingExecutor
    roots: AllowedRoots
    prober: Prober
    events: MediaEvents
    diagnostics: DiagnosticsSource


def create_server(settings: MediaSettings, deps: MediaDeps) -> ServerHandle:
    service = GrpcService(
        SERVICE_NAME, MediaServicer(deps), media_pb2_grpc.add_MediaServiceServicer_to_server
    )
    return create_grpc_server(settings, [service], service="media")
