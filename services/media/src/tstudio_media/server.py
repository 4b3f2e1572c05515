"""`create_server(settings, deps)`: the media gRPC server, built the same way for `__main__`
and for tests (which bind port 0)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots
from svckit.server import GrpcService, ServerHandle
from svckit.server import create_server as create_grpc_server
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from tstudio_media.adapters.media_events import MediaEvents
from tstudio_media.adapters.preview_store import PreviewStore
from tstudio_media.api.media_servicer import MediaServicer
from tstudio_media.api.result_cache import ResultCache
from tstudio_media.domain.ports import DiagnosticsSource, Pictures, Prober, Proxies, Waveforms
from tstudio_media.domain.proxy_plan import JobRegistry
from tstudio_media.domain.stream_signing import UrlSigner
from tstudio_media.settings import MediaSettings

SERVICE_NAME = media_pb2.DESCRIPTOR.services_by_name["MediaService"].full_name

# (root, recursive, extensions, roots) -> media files under root
ListMedia = Callable[[Path, bool, frozenset[str], AllowedRoots], list[Path]]


@dataclass(frozen=True)
class MediaDeps:
    """Everything the servicer uses, built by the composition root."""

    executor: BlockingExecutor
    # Long transcodes run here, apart from the interactive work on `executor`.
    proxy_executor: BlockingExecutor
    roots: AllowedRoots
    prober: Prober
    pictures: Pictures
    waveforms: Waveforms
    proxies: Proxies
    list_media: ListMedia
    cache: ResultCache
    events: MediaEvents
    diagnostics: DiagnosticsSource
    jobs: JobRegistry
    signer: UrlSigner
    # Where default proxy outputs go.
    proxy_dir: Path
    # Base of stream URLs (the HTTP video server); empty when it is off.
    stream_base_url: str
    batch_concurrency: int = 4
    # The persistent preview data store (preview_data.proto); None: those RPCs are refused.
    preview_store: PreviewStore | None = None
    # Where clients' own files (user effects) are kept; None: those RPCs are refused.
    user_files_dir: Path | None = None


def create_server(settings: MediaSettings, deps: MediaDeps) -> ServerHandle:
    service = GrpcService(
        SERVICE_NAME, MediaServicer(deps), media_pb2_grpc.add_MediaServiceServicer_to_server
    )
    # Stopping drains gRPC's queued calls as UNAVAILABLE first (svckit.drain).
    return create_grpc_server(settings, [service], service="media")
