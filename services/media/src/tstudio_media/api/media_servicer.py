"""`tstudio.media.v1.MediaService`: thin translation between protobuf and the media parts.

Each RPC checks paths against the allowed roots, validates its request into domain values, and
hands over: blocking PyAV work runs in the bounded executors, results go through the on-disk
cache, long jobs through `ProxyRunner` / `FolderScan`. Errors are svckit domain errors, turned
into rich status by the interceptor.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from svckit.errors import FailedPrecondition, FieldViolation, Internal, InvalidArgument, ServiceError
from tstudio.media.v1 import media_pb2, media_pb2_grpc, preview_data_pb2

from tstudio_media import __version__
from tstudio_media.adapters.box_drawing import draw_boxes
from tstudio_media.adapters.range_server import STREAM_PATH, media_type
from tstudio_media.api import convert
from tstudio_media.api.cached_media import CachedMedia
from tstudio_media.api.folder_scan import FolderScan
from tstudio_media.api.preview_data import PreviewDataRpc
from tstudio_media.api.proxy_runner import ProxyRunner
from tstudio_media.api.result_cache import file_identity
from tstudio_media.api.user_files import UserFilesRpc, relative_boxes
from tstudio_media.domain.cache_key import cache_key
from tstudio_media.domain.picture_request import PictureFormat, check_time, picture_spec
from tstudio_media.domain.pictures import FilmstripRequest
from tstudio_media.domain.proxy_plan import proxy_plan
from tstudio_media.domain.scan_filter import scan_extensions

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)

_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_BATCH = 10_000
_SCAN_THUMBNAIL_WIDTH = 160


class MediaServicer(media_pb2_grpc.MediaServiceServicer):
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps
        self._media = CachedMedia(deps)
        self._proxies = ProxyRunner(deps)
        self._scans = FolderScan(deps, self._media)
        self._library = PreviewDataRpc(deps)
        self._files = UserFilesRpc(deps)

    # -- probe ------------------------------------------------------------------------------------

    async def Probe(
        self, request: media_pb2.ProbeRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.ProbeResponse:
        path = self._deps.roots.existing_file(request.path, field="path")
        info = await self._media.probe(path)
        probe_id = uuid.uuid4().hex
        await self._deps.events.probe_completed(probe_id, info)
        return media_pb2.ProbeResponse(info=info, probe_id=probe_id)

    async def ProbeBatch(
        self, request: media_pb2.ProbeBatchRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[media_pb2.ProbeBatchResponse]:
        if len(request.paths) > _MAX_BATCH:
            raise InvalidArgument(
                f"at most {_MAX_BATCH} paths per batch",
                field_violations=[FieldViolation("paths", f"at most {_MAX_BATCH}")],
            )
        limit = asyncio.Semaphore(self._deps.batch_concurrency)

        async def one(index: int, raw: str) -> media_pb2.ProbeBatchResponse:
            reply = media_pb2.ProbeBatchResponse(index=index, path=raw)
            async with limit:
                try:
                    info = await self._media.probe(
                        self._deps.roots.existing_file(raw, field=f"paths[{index}]")
                    )
                except ServiceError as error:
                    reply.error.CopyFrom(convert.item_error(error))
                    return reply
                except Exception:
                    log.exception("probe of batch item %d failed", index)
                    reply.error.CopyFrom(convert.item_error(Internal("internal error")))
                    return reply
            probe_id = uuid.uuid4().hex
            await self._deps.events.probe_completed(probe_id, info)
            reply.info.CopyFrom(info)
            return reply

        tasks = [asyncio.ensure_future(one(i, p)) for i, p in enumerate(request.paths)]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:  # the caller may have gone away mid-batch
                task.cancel()

    # -- pictures and sound -----------------------------------------------------------------------

    async def Thumbnail(
        self, request: media_pb2.ThumbnailRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.ThumbnailResponse:
        path = self._deps.roots.existing_file(request.path)
        seconds = check_time(request.time_seconds, "time_seconds")
        spec = picture_spec(
            request.width, request.height, convert.picture_format(request.format), request.quality
        )
        return await self._media.thumbnail(path, seconds, spec, convert.seek_mode(request.mode))

    async def Filmstrip(
        self, request: media_pb2.FilmstripRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.FilmstripResponse:
        deps = self._deps
        path = deps.roots.existing_file(request.path)
        spec = picture_spec(
            request.tile_width,
            request.tile_height,
            convert.picture_format(request.format),
            request.quality,
            prefix="tile_",
        )
        plan = FilmstripRequest(
            count=request.count,
            interval_seconds=check_time(request.interval_seconds, "interval_seconds"),
            start_seconds=check_time(request.start_seconds, "start_seconds"),
            end_seconds=check_time(request.end_seconds, "end_seconds"),
            columns=request.columns,
        )
        mode = convert.seek_mode(request.mode)

        async def compute() -> media_pb2.FilmstripResponse:
            strip = await deps.executor.run(deps.pictures.filmstrip, path, plan, spec, mode)
            return convert.filmstrip_to_proto(strip)

        reply, cached = await deps.cache.get_or_compute(
            "filmstrip", path, _with_path(request, path), media_pb2.FilmstripResponse, compute
        )
        reply.cached = cached
        return reply

    async def Waveform(
        self, request: media_pb2.WaveformRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.WaveformResponse:
        deps = self._deps
        path = deps.roots.existing_file(request.path)
        start = check_time(request.start_seconds, "start_seconds")
        end = check_time(request.end_seconds, "end_seconds")

        async def compute() -> media_pb2.WaveformResponse:
            waveform = await deps.executor.run(deps.waveforms.waveform, path, request.buckets, start, end)
            return convert.waveform_to_proto(waveform)

        reply, cached = await deps.cache.get_or_compute(
            "waveform", path, _with_path(request, path), media_pb2.WaveformResponse, compute
        )
        reply.cached = cached
        return reply

    # -- proxies ----------------------------------------------------------------------------------

    async def CreateProxy(
        self, request: media_pb2.CreateProxyRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[media_pb2.CreateProxyResponse]:
        deps = self._deps
        source = deps.roots.existing_file(request.path)
        plan = proxy_plan(request.height, request.gop_frames)
        job_id = _job_id(request.job_id, "job_id")
        if request.output_path:
            # Before any work: a writable place, never the source (by identity, not by string).
            output = deps.roots.check_output(request.output_path, "output_path", protect=[source])
        else:
            # Named by source identity and request, so a repeated request writes the same file.
            key = media_pb2.CreateProxyRequest(
                path=str(source), height=plan.height, gop_frames=plan.gop_frames
            )
            name = cache_key("proxy", file_identity(source), key.SerializeToString())
            output = deps.proxy_dir / f"{source.stem}-{plan.height}p-{name[:16]}.mp4"
            if output.exists():
                # Made before from this very version of the source: a finished file only ever
                # appears under this name (it is renamed into place when complete).
                yield self._proxies.already_done(job_id, output)
                return
        async for update in self._proxies.run(source, output, plan, job_id):
            yield update

    async def CancelProxy(
        self, request: media_pb2.CancelProxyRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.CancelProxyResponse:
        job_id = _job_id(request.job_id, "job_id")
        return media_pb2.CancelProxyResponse(cancelled=self._deps.jobs.cancel(job_id))

    # -- folders ----------------------------------------------------------------------------------

    async def ScanFolder(
        self, request: media_pb2.ScanFolderRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[media_pb2.ScanFolderResponse]:
        root = self._deps.roots.check(request.root, field="root")
        extensions = scan_extensions(request.extensions)
        scan_id = _job_id(request.scan_id, "scan_id")
        thumbnail = None
        if request.thumbnails:
            width = request.thumbnail_width or _SCAN_THUMBNAIL_WIDTH
            thumbnail = picture_spec(width, 0, PictureFormat.JPEG, 0, prefix="thumbnail_")
        async for update in self._scans.run(root, request.recursive, extensions, scan_id, thumbnail):
            yield update

    # -- streaming --------------------------------------------------------------------------------

    async def GetStreamUrl(
        self, request: media_pb2.GetStreamUrlRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.GetStreamUrlResponse:
        deps = self._deps
        if not deps.stream_base_url:
            raise FailedPrecondition(
                "the video server is not running (MEDIA_HTTP_PORT=0, or its port was busy at start-up)",
                reason="VIDEO_SERVER_OFF",
            )
        path = deps.roots.existing_file(request.path)
        signed = deps.signer.sign(str(path), request.ttl_seconds)
        url = f"{deps.stream_base_url.rstrip('/')}{STREAM_PATH}?{urllib.parse.urlencode(signed.query)}"
        return media_pb2.GetStreamUrlResponse(
            url=url, expires_at=timestamp_pb2.Timestamp(seconds=signed.expires_at), mime_type=media_type(path)
        )

    # -- diagnostics ------------------------------------------------------------------------------

    async def GetDiagnostics(
        self, request: media_pb2.GetDiagnosticsRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.GetDiagnosticsResponse:
        items = await self._deps.executor.run(self._deps.diagnostics.items)
        return media_pb2.GetDiagnosticsResponse(
            diagnostics=convert.diagnostics_to_proto("media", __version__, True, items)
        )

    # -- library: media file listing and the preview data store (api/preview_data.py) ------------

    async def ListMediaFiles(
        self, request: preview_data_pb2.ListMediaFilesRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ListMediaFilesResponse:
        return await self._library.list_media_files(request)

    async def GetPreviewData(
        self, request: preview_data_pb2.GetPreviewDataRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.GetPreviewDataResponse:
        return await self._library.get(request)

    async def SavePreviewData(
        self, request: preview_data_pb2.SavePreviewDataRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.SavePreviewDataResponse:
        return await self._library.save(request)

    async def DeletePreviewData(
        self, request: preview_data_pb2.DeletePreviewDataRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.DeletePreviewDataResponse:
        return await self._library.delete(request)

    async def ListPreviewData(
        self, request: preview_data_pb2.ListPreviewDataRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ListPreviewDataResponse:
        return await self._library.list(request)

    async def ExportPreviewData(
        self, request: preview_data_pb2.ExportPreviewDataRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ExportPreviewDataResponse:
        return await self._library.export(request)

    async def ImportPreviewData(
        self, request: preview_data_pb2.ImportPreviewDataRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ImportPreviewDataResponse:
        return await self._library.import_(request)

    async def ReadTextFile(
        self, request: preview_data_pb2.ReadTextFileRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ReadTextFileResponse:
        return await self._files.read_text(request)

    async def WriteTextFile(
        self, request: preview_data_pb2.WriteTextFileRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.WriteTextFileResponse:
        return await self._files.write_text(request)

    async def SaveUserFile(
        self, request: preview_data_pb2.SaveUserFileRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.SaveUserFileResponse:
        return await self._files.save(request)

    async def ListUserFiles(
        self, request: preview_data_pb2.ListUserFilesRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ListUserFilesResponse:
        return await self._files.list(request)

    async def ReadUserFile(
        self, request: preview_data_pb2.ReadUserFileRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.ReadUserFileResponse:
        return await self._files.read(request)

    async def DeleteUserFile(
        self, request: preview_data_pb2.DeleteUserFileRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.DeleteUserFileResponse:
        return await self._files.delete(request)

    async def AnnotatedThumbnail(
        self, request: preview_data_pb2.AnnotatedThumbnailRequest, context: grpc.aio.ServicerContext
    ) -> preview_data_pb2.AnnotatedThumbnailResponse:
        boxes = relative_boxes(request.boxes)
        path = self._deps.roots.existing_file(request.path)
        seconds = check_time(request.time_seconds, "time_seconds")
        spec = picture_spec(request.width, request.height, PictureFormat.JPEG, 0)
        picture = await self._media.thumbnail(path, seconds, spec, convert.seek_mode(0))
        image = await self._deps.executor.run(draw_boxes, picture.image, boxes)
        return preview_data_pb2.AnnotatedThumbnailResponse(
            image=image,
            width=picture.width,
            height=picture.height,
            frame_time_seconds=picture.frame_time_seconds,
        )


def _job_id(given: str, field: str) -> str:
    if not given:
        return uuid.uuid4().hex
    if not _JOB_ID.match(given):
        raise InvalidArgument(
            f"invalid {field}", field_violations=[FieldViolation(field, "1-64 letters, digits, '-' or '_'")]
        )
    return given


def _with_path(request: M, path: Path) -> M:
    """The request as a cache key: with the resolved path, so spellings of one file share entries."""
    keyed = type(request)()
    keyed.CopyFrom(request)
    keyed.path = str(path)  # type: ignore[attr-defined]
    return keyed
