"""`tstudio.media.v1.MediaService`: thin translation between protobuf and the media adapters.

Paths are checked against the allowed roots first; blocking PyAV work runs in the bounded
executor; errors are svckit domain errors, turned into rich status by the interceptor.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from svckit.errors import (
    Cancelled,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    ServiceError,
)
from tstudio.common.v1 import common_pb2
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from tstudio_media import __version__
from tstudio_media.adapters.range_server import STREAM_PATH, media_type
from tstudio_media.api import convert
from tstudio_media.api.result_cache import file_identity
from tstudio_media.domain.cache_key import cache_key
from tstudio_media.domain.picture_request import PictureSpec, SeekMode, check_time, picture_spec
from tstudio_media.domain.pictures import FilmstripRequest
from tstudio_media.domain.proxy_plan import proxy_plan
from tstudio_media.domain.scan_filter import scan_extensions

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)

_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_BATCH = 10_000
_EVENT_EVERY_SECONDS = 0.5
_SCAN_THUMBNAIL_WIDTH = 160


def _job_id(given: str, field: str) -> str:
    if not given:
        return uuid.uuid4().hex
    if not _JOB_ID.match(given):
        raise InvalidArgument(
            f"invalid {field}", field_violations=[FieldViolation(field, "1-64 letters, digits, '-' or '_'")]
        )
    return given


class MediaServicer(media_pb2_grpc.MediaServiceServicer):
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps

    # -- probe ------------------------------------------------------------------------------------

    async def _probe(self, path: Path) -> media_pb2.MediaInfo:
        """Probe (cached) and announce it on the bus."""
        deps = self._deps

        async def compute() -> media_pb2.MediaInfo:
            return convert.media_info_to_proto(await deps.executor.run(deps.prober.probe, path))

        request = media_pb2.ProbeRequest(path=str(path))
        info, _ = await deps.cache.get_or_compute("probe", path, request, media_pb2.MediaInfo, compute)
        return info

    async def Probe(
        self, request: media_pb2.ProbeRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.ProbeResponse:
        path = self._deps.roots.existing_file(request.path, field="path")
        info = await self._probe(path)
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
                    path = self._deps.roots.existing_file(raw, field=f"paths[{index}]")
                    info = await self._probe(path)
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
            for task in tasks:
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
        return await self._thumbnail(path, seconds, spec, convert.seek_mode(request.mode))

    async def _thumbnail(
        self, path: Path, seconds: float, spec: PictureSpec, mode: SeekMode
    ) -> media_pb2.ThumbnailResponse:
        """A thumbnail through the cache; the key is the normalised request."""
        deps = self._deps

        async def compute() -> media_pb2.ThumbnailResponse:
            picture = await deps.executor.run(deps.pictures.thumbnail, path, seconds, spec, mode)
            return convert.thumbnail_to_proto(picture)

        keyed = media_pb2.ThumbnailRequest(
            path=str(path),
            time_seconds=seconds,
            width=spec.width,
            height=spec.height,
            format=convert.picture_format_to_proto(spec.format),
            quality=spec.quality,
            mode=convert.seek_mode_to_proto(mode),
        )
        reply, cached = await deps.cache.get_or_compute(
            "thumbnail", path, keyed, media_pb2.ThumbnailResponse, compute
        )
        reply.cached = cached
        return reply

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
            interval_seconds=request.interval_seconds,
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
            output = deps.roots.check(request.output_path, field="output_path")
            if output == source:
                raise InvalidArgument(
                    "the proxy would overwrite its source",
                    field_violations=[FieldViolation("output_path", "must differ from path")],
                )
        else:
            name = cache_key("proxy", file_identity(source), _with_path(request, source).SerializeToString())
            output = deps.proxy_dir / f"{source.stem}-{plan.height}p-{name[:16]}.mp4"
        cancel = deps.jobs.start(job_id)
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue[tuple[float, float]] = asyncio.Queue()

        def report(done: float, total: float) -> None:
            loop.call_soon_threadsafe(updates.put_nowait, (done, total))

        started = time.monotonic()
        work = asyncio.ensure_future(
            deps.proxy_executor.run(deps.proxies.transcode, source, output, plan, cancel, report)
        )
        last_event = 0.0
        try:
            yield media_pb2.CreateProxyResponse(
                job_id=job_id, progress=convert.progress(common_pb2.STAGE_QUEUED, 0, 0)
            )
            while True:
                getter = asyncio.ensure_future(updates.get())
                await asyncio.wait({work, getter}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                done, total = getter.result()
                elapsed = time.monotonic() - started
                speed = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / speed if speed > 0 and total > 0 else -1.0
                step = convert.progress(common_pb2.STAGE_RUNNING, done, total, speed, eta)
                if time.monotonic() - last_event >= _EVENT_EVERY_SECONDS:
                    last_event = time.monotonic()
                    await deps.events.job_progress("proxy", job_id, step)
                yield media_pb2.CreateProxyResponse(job_id=job_id, progress=step)
            result = await work
        except BaseException as exc:
            # The caller went away or the transcode failed: stop the worker, and wait for it so that
            # its partial file is gone before we answer.
            cancel.set()
            await asyncio.gather(work, return_exceptions=True)
            cancelled = isinstance(exc, Cancelled | asyncio.CancelledError | GeneratorExit)
            code = (
                exc.code.value
                if isinstance(exc, ServiceError)
                else ("CANCELLED" if cancelled else "INTERNAL")
            )
            message = (
                exc.message
                if isinstance(exc, ServiceError)
                else ("cancelled" if cancelled else "internal error")
            )
            await asyncio.shield(deps.events.job_failed("proxy", job_id, code, message, cancelled))
            raise
        finally:
            deps.jobs.finish(job_id)
        wall = time.monotonic() - started
        await deps.events.job_completed(
            "proxy", job_id, str(result.output), wall, {"duration_seconds": f"{result.duration_seconds:.3f}"}
        )
        total = result.duration_seconds
        yield media_pb2.CreateProxyResponse(
            job_id=job_id,
            progress=convert.progress(common_pb2.STAGE_COMPLETED, total, total),
            output_path=str(result.output),
        )

    async def CancelProxy(
        self, request: media_pb2.CancelProxyRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.CancelProxyResponse:
        job_id = _job_id(request.job_id, "job_id")
        return media_pb2.CancelProxyResponse(cancelled=self._deps.jobs.cancel(job_id))

    # -- folders ----------------------------------------------------------------------------------

    async def ScanFolder(
        self, request: media_pb2.ScanFolderRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[media_pb2.ScanFolderResponse]:
        deps = self._deps
        root = deps.roots.check(request.root, field="root")
        extensions = scan_extensions(request.extensions)
        scan_id = _job_id(request.scan_id, "scan_id")
        width = request.thumbnail_width or _SCAN_THUMBNAIL_WIDTH
        spec = picture_spec(
            width, 0, convert.picture_format(media_pb2.IMAGE_FORMAT_JPEG), 0, prefix="thumbnail_"
        )
        files = await deps.executor.run(deps.list_media, root, request.recursive, extensions, deps.roots)
        total = len(files)
        started = time.monotonic()
        first = convert.progress(common_pb2.STAGE_RUNNING, 0, total, message=f"{total} files")
        await deps.events.job_progress("scan", scan_id, first)
        yield media_pb2.ScanFolderResponse(scan_id=scan_id, progress=first)
        limit = asyncio.Semaphore(deps.batch_concurrency)

        async def one(path: Path) -> media_pb2.ScanItem:
            item = media_pb2.ScanItem(path=str(path))
            async with limit:
                try:
                    info = await self._probe(deps.roots.existing_file(path))
                    item.info.CopyFrom(info)
                    if request.thumbnails and info.kind in (
                        media_pb2.MEDIA_KIND_VIDEO,
                        media_pb2.MEDIA_KIND_IMAGE,
                    ):
                        picture = await deps.executor.run(
                            deps.pictures.thumbnail,
                            path,
                            min(1.0, info.duration_seconds / 2),
                            spec,
                            SeekMode.FAST,
                        )
                        item.thumbnail, item.thumbnail_mime_type = picture.data, picture.mime_type
                except ServiceError as error:
                    item.ClearField("info")
                    item.error.CopyFrom(convert.item_error(error))
                except Exception:
                    log.exception("scan of %s failed", path)
                    item.ClearField("info")
                    item.error.CopyFrom(convert.item_error(Internal("internal error")))
            return item

        tasks = [asyncio.ensure_future(one(p)) for p in files]
        last_event = 0.0
        try:
            for done, next_done in enumerate(asyncio.as_completed(tasks), start=1):
                item = await next_done
                elapsed = time.monotonic() - started
                rate = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / rate if rate > 0 else -1.0
                step = convert.progress(common_pb2.STAGE_RUNNING, done, total, rate, eta)
                if time.monotonic() - last_event >= _EVENT_EVERY_SECONDS:
                    last_event = time.monotonic()
                    await deps.events.job_progress("scan", scan_id, step)
                yield media_pb2.ScanFolderResponse(scan_id=scan_id, item=item, progress=step)
        finally:
            for task in tasks:
                task.cancel()
        final = convert.progress(common_pb2.STAGE_COMPLETED, total, total)
        await deps.events.job_progress("scan", scan_id, final)
        await deps.events.job_completed(
            "scan", scan_id, str(root), time.monotonic() - started, {"files": str(total)}
        )
        yield media_pb2.ScanFolderResponse(scan_id=scan_id, progress=final)

    # -- streaming --------------------------------------------------------------------------------

    async def GetStreamUrl(
        self, request: media_pb2.GetStreamUrlRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.GetStreamUrlResponse:
        deps = self._deps
        if not deps.stream_base_url:
            raise FailedPrecondition(
                "the video server is turned off (MEDIA_HTTP_PORT=0)", reason="VIDEO_SERVER_OFF"
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


def _with_path(request: M, path: Path) -> M:
    """The request as a cache key: with the resolved path, so spellings of one file share entries."""
    keyed = type(request)()
    keyed.CopyFrom(request)
    keyed.path = str(path)  # type: ignore[attr-defined]
    return keyed
