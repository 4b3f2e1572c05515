"""Builds the media service's parts from its settings: used by `__main__` and by the tests, so
both run the same wiring."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from svckit.bus import EventBus
from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots

from tstudio_media.adapters.disk_cache import DiskCache
from tstudio_media.adapters.ffmpeg_diagnostics import FFmpegDiagnostics
from tstudio_media.adapters.folder_walk import media_files
from tstudio_media.adapters.media_events import MediaEvents
from tstudio_media.adapters.preview_store import PreviewStore
from tstudio_media.adapters.pyav_pictures import PyAVPictures
from tstudio_media.adapters.pyav_probe import PyAVProber
from tstudio_media.adapters.pyav_proxy import PyAVProxies
from tstudio_media.adapters.pyav_waveform import PyAVWaveforms
from tstudio_media.adapters.range_server import HttpRunner, RangeServer
from tstudio_media.api.result_cache import ResultCache
from tstudio_media.domain.diagnostics import DiagnosticItem
from tstudio_media.domain.proxy_plan import JobRegistry
from tstudio_media.domain.stream_signing import UrlSigner
from tstudio_media.server import MediaDeps
from tstudio_media.settings import MediaSettings

log = logging.getLogger(__name__)


@dataclass
class MediaRuntime:
    deps: MediaDeps
    # None when MEDIA_HTTP_PORT is 0.
    http: HttpRunner | None

    async def close(self) -> None:
        if self.http is not None:
            await self.http.stop()
        self.deps.executor.shutdown(wait=False)
        self.deps.proxy_executor.shutdown(wait=False)
        if self.deps.preview_store is not None:
            self.deps.preview_store.close()


def signing_key(settings: MediaSettings) -> bytes:
    if settings.url_signing_key:
        return settings.url_signing_key.encode()
    log.info("MEDIA_URL_SIGNING_KEY is not set: stream URLs are signed with a per-process key")
    return secrets.token_bytes(32)


async def build_media(settings: MediaSettings, bus: EventBus) -> MediaRuntime:
    """Every adapter, plus the HTTP video server started on its port (so its URL is known)."""
    data_dir = settings.data_dir.expanduser()
    roots = AllowedRoots(settings.allowed_roots, settings.base_dir)
    executor = BlockingExecutor(settings.max_workers, "media")
    proxy_executor = BlockingExecutor(settings.proxy_workers, "media-proxy")
    store = DiskCache(data_dir / "cache", settings.cache_max_bytes)
    jobs = JobRegistry()
    signer = UrlSigner(signing_key(settings), settings.url_ttl_seconds)
    http: HttpRunner | None = None
    base_url = ""
    video_server_state = "off (MEDIA_HTTP_PORT=0)"
    if settings.http_port or settings.http_public_url:
        server = RangeServer(roots, signer, settings.cors_origins)
        http = HttpRunner(
            server.app(),
            settings.host,
            settings.http_port,
            idle_timeout_seconds=settings.http_idle_timeout_seconds,
            body_timeout_seconds=settings.http_body_timeout_seconds,
        )
        try:
            port = await http.start()
        except OSError as exc:
            # gRPC work (probe, thumbnails, ...) does not need the video server: keep serving it,
            # say so loudly, and let GetStreamUrl and diagnostics report the video server as down.
            log.error("video server could not listen on %s:%d: %s", settings.host, settings.http_port, exc)
            await http.stop()
            http = None
            video_server_state = f"down: port {settings.http_port} unavailable ({exc.strerror or exc})"
        else:
            base_url = settings.http_public_url or f"http://{settings.host}:{port}"
            video_server_state = base_url

    def live_items() -> list[DiagnosticItem]:
        return [
            *store.diagnostics(),
            DiagnosticItem("proxy.jobs_running", str(len(jobs))),
            DiagnosticItem("executor.max_workers", str(executor.max_workers)),
            DiagnosticItem("allowed_roots", ",".join(str(r) for r in roots.roots) or "(any)"),
            DiagnosticItem(
                "video_server.url", video_server_state, ok=bool(base_url) or not settings.http_port
            ),
        ]

    deps = MediaDeps(
        executor=executor,
        proxy_executor=proxy_executor,
        roots=roots,
        prober=PyAVProber(max_pixels=settings.max_pixels),
        pictures=PyAVPictures(max_pixels=settings.max_pixels),
        waveforms=PyAVWaveforms(),
        proxies=PyAVProxies(max_pixels=settings.max_pixels),
        list_media=media_files,
        cache=ResultCache(store, executor),
        events=MediaEvents(bus),
        diagnostics=FFmpegDiagnostics(extra=[live_items]),
        jobs=jobs,
        signer=signer,
        proxy_dir=data_dir / "proxies",
        stream_base_url=base_url,
        batch_concurrency=settings.batch_concurrency,
        preview_store=PreviewStore(data_dir / "preview-data.sqlite3"),
        user_files_dir=data_dir / "user-files",
    )
    return MediaRuntime(deps, http)
