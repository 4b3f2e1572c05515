"""The HTTP video server: signed URLs to files under the allowed roots, for a browser's <video>.

Bodies go out through aiohttp's `FileResponse`, which uses `sendfile` (zero-copy), and which also
answers `If-None-Match`/`If-Match`/`If-Modified-Since`. Range and If-Range are decided here, per
RFC 9110 (see `domain.range_header`), and handed to FileResponse as one normalised range, because
aiohttp alone answers 416 to a Range it cannot parse and only compares If-Range as a date.
"""

from __future__ import annotations

import logging
import math
import mimetypes
import os
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.web_fileresponse import NOSENDFILE
from svckit.errors import Code, ServiceError
from svckit.paths import AllowedRoots
from svckit.safe_open import OpenedFile, open_regular

from tstudio_media.adapters.socket_sendfile import FileEndedEarly, send_file_body
from tstudio_media.domain.range_header import RangeOutcome, decide_range, if_range_matches
from tstudio_media.domain.stream_signing import UrlSigner

log = logging.getLogger(__name__)

STREAM_PATH = "/v1/stream"
_HTTP_STATUS = {
    Code.PERMISSION_DENIED: 403,
    Code.NOT_FOUND: 404,
    Code.INVALID_ARGUMENT: 400,
    Code.FAILED_PRECONDITION: 400,
}
# Types browsers need for <video> that Python's table lacks or gets wrong on some systems.
_MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
}
_EXPOSED = "Content-Range, Content-Length, Accept-Ranges, ETag, Last-Modified"


def media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def etag_for(stat: os.stat_result) -> str:
    # The same strong validator FileResponse sends, so If-Range compares like for like.
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


class RangeServer:
    def __init__(self, roots: AllowedRoots, signer: UrlSigner, cors_origins: tuple[str, ...] = ()) -> None:
        self._roots = roots
        self._signer = signer
        self._cors = frozenset(cors_origins)

    def app(self) -> web.Application:
        app = web.Application()
        app.on_response_prepare.append(self.add_cors_headers)
        app.router.add_get(STREAM_PATH, self.stream)  # and HEAD
        app.router.add_route("OPTIONS", STREAM_PATH, self.preflight)
        app.router.add_get("/healthz", self.healthz)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "Range, If-Range, If-None-Match, If-Modified-Since",
                "Access-Control-Max-Age": "600",
            },
        )

    async def stream(self, request: web.Request) -> web.StreamResponse:
        try:
            # Decided on the opened file, every request: a decision kept past the open is one a
            # symlink swapped in meanwhile would inherit.
            opened = open_regular(self._signer.verify(dict(request.query)), self._roots.roots)
        except ServiceError as error:
            return web.Response(status=_HTTP_STATUS.get(error.code, 400), text=error.message + "\n")
        except OSError:
            return web.Response(status=404, text="not found\n")
        try:
            stat = os.fstat(opened.fd)
        except OSError:
            opened.close()
            return web.Response(status=404, text="not found\n")
        headers = {
            hdrs.CONTENT_TYPE: media_type(opened.path),
            hdrs.CACHE_CONTROL: "private, max-age=3600",
        }
        forwarded = request
        if hdrs.RANGE in request.headers or hdrs.IF_RANGE in request.headers:
            forwarded, unsatisfiable = _normalise_range(request, stat)
            if unsatisfiable:
                opened.close()
                return web.Response(
                    status=416,
                    headers={hdrs.CONTENT_RANGE: f"bytes */{stat.st_size}", hdrs.ACCEPT_RANGES: "bytes"},
                )
        return _FileResponseFor(forwarded, opened, chunk_size=1024 * 1024, headers=headers)

    async def add_cors_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """on_response_prepare hook: CORS headers for allowed origins, on every response."""
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None or not ("*" in self._cors or origin in self._cors):
            return
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED
        response.headers.add(hdrs.VARY, "Origin")


class _FileResponseFor(web.FileResponse):
    """A FileResponse that reads its request headers from the normalised copy of the request, and
    opens the file on the event loop.

    aiohttp stats and opens the file in the default thread pool, then closes it there too: two
    thread hops per request that cost more than the calls themselves (a 1 MiB range request spent
    about as long on them as on its sendfile). The handler has just stat'ed the same file on the loop
    (as nginx does in its worker), so the common case — the body is sent — is done inline; the rare
    answers (304, 412, 403, 404) go through aiohttp's own path. No precompressed variants are
    looked for (`big.mp4.gz` beside a video is not what a <video> element asked for).
    """

    def __init__(self, forwarded: web.BaseRequest, opened: OpenedFile, **kwargs: Any) -> None:
        # The path reopens the checked descriptor itself (/proc/self/fd/N), never the name.
        super().__init__(Path(opened.proc_path), **kwargs)
        self._forwarded = forwarded
        self._opened: OpenedFile | None = opened

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        request = self._forwarded
        try:
            try:
                _, fobj, stat, _ = self._make_response(request, "")
            except OSError:
                fobj = None
            if fobj is None:
                return await super().prepare(request)
            with fobj:
                return await self._prepare_open_file(request, fobj, stat, None)
        finally:
            self._close_opened()

    def _close_opened(self) -> None:
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.close()

    def __del__(self) -> None:
        # A response dropped before it was prepared (the client left) still frees its descriptor.
        self._close_opened()

    async def _sendfile(
        self, request: web.BaseRequest, fobj: Any, offset: int, count: int
    ) -> AbstractStreamWriter:
        # aiohttp's own body path is asyncio's loop.sendfile; see socket_sendfile for the cost.
        writer = await web.StreamResponse.prepare(self, request)
        transport = request.transport
        if writer is None or transport is None:
            raise ConnectionResetError("connection lost")
        try:
            sent = not NOSENDFILE and await send_file_body(transport, fobj.fileno(), offset, count)
        except FileEndedEarly:
            log.warning("%s got shorter while being sent; its connection is closed", self._path)
            raise
        if not sent:
            return await super()._sendfile(request, fobj, offset, count)
        await self.write_eof()
        return writer


def _normalise_range(request: web.Request, stat: os.stat_result) -> tuple[web.Request, bool]:
    """A copy of the request whose Range FileResponse can only read our way: removed (serve the
    whole file) or one explicit `bytes=first-last`. Returns (request, unsatisfiable)."""
    headers = request.headers.copy()
    header = headers.pop(hdrs.RANGE, None)
    if_range = headers.pop(hdrs.IF_RANGE, None)
    # Last-Modified as FileResponse sends it: aiohttp rounds the mtime up to whole seconds.
    last_modified = math.ceil(stat.st_mtime)
    if header is None or not if_range_matches(if_range, etag_for(stat), last_modified):
        return request.clone(headers=headers), False
    decision = decide_range(header, stat.st_size)
    if decision.outcome is RangeOutcome.UNSATISFIABLE:
        return request, True
    if decision.outcome is RangeOutcome.PARTIAL:
        headers[hdrs.RANGE] = f"bytes={decision.first}-{decision.last}"
    return request.clone(headers=headers), False


class HttpRunner:
    """Starts and stops the range server on its own port (0 picks a free one, for tests)."""

    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        idle_timeout_seconds: float = 60.0,
        body_timeout_seconds: float = 10.0,
    ) -> None:
        self._runner = web.AppRunner(
            app,
            access_log=None,
            keepalive_timeout=idle_timeout_seconds,
            lingering_time=body_timeout_seconds,
        )
        self._host, self._port = host, port
        self.port = 0

    async def start(self) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, backlog=1024)
        await site.start()
        # The port actually bound (the configured one, or the free one picked for port 0).
        self.port = int(self._runner.addresses[0][1])
        log.info("video server on http://%s:%d%s", self._host, self.port, STREAM_PATH)
        return self.port

    async def stop(self) -> None:
        await self._runner.cleanup()
