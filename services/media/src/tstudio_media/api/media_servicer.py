"""`tstudio.media.v1.MediaService`: thin translation between protobuf and the media adapters.

Paths are checked against the allowed roots first; blocking PyAV work runs in the bounded
executor; errors are svckit domain errors, turned into rich status by the interceptor.
RPCs not built yet are inherited from the generated base class and answer UNIMPLEMENTED.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

import grpc
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from tstudio_media import __version__
from tstudio_media.api.convert import diagnostics_to_proto, media_info_to_proto

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

log = logging.getLogger(__name__)


class MediaServicer(media_pb2_grpc.MediaServiceServicer):
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps

    async def Probe(
        self, request: media_pb2.ProbeRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.ProbeResponse:
        path = self._deps.roots.existing_file(request.path, field="path")
        info = media_info_to_proto(await self._deps.executor.run(self._deps.prober.probe, path))
        probe_id = uuid.uuid4().hex
        await self._deps.events.probe_completed(probe_id, info)
        return media_pb2.ProbeResponse(info=info, probe_id=probe_id)

    async def GetDiagnostics(
        self, request: media_pb2.GetDiagnosticsRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.GetDiagnosticsResponse:
        items = await self._deps.executor.run(self._deps.diagnostics.items)
        return media_pb2.GetDiagnosticsResponse(
            diagnostics=diagnostics_to_proto("media", __version__, True, items)
        )
