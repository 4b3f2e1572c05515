"""The media service's settings, read once from `MEDIA_*` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from svckit.settings import ServiceSettings, SettingsError


@dataclass(frozen=True, kw_only=True)
class MediaSettings(ServiceSettings):
    port: int = 50052
    # Only files under these roots are read or served; empty allows every path (single-user default).
    allowed_roots: tuple[Path, ...] = ()
    # Cache and proxy outputs live here.
    data_dir: Path = Path("~/.cache/tstudio/media")
    # Bound of the on-disk cache of probes, thumbnails, filmstrips and waveforms.
    cache_max_bytes: int = 512 * 1024 * 1024
    # Proxy transcodes running at once, on their own threads so they never starve thumbnails and
    # probes of the shared workers; more wait (stage QUEUED).
    proxy_workers: int = 1
    # How many files ProbeBatch and ScanFolder work on at once.
    batch_concurrency: int = 4
    # The HTTP range video server; 0 turns it off.
    http_port: int = 8081
    # Base of the URLs GetStreamUrl hands out, e.g. "https://media.example.com"; empty uses http://host:port.
    http_public_url: str = ""
    # HMAC key for stream URLs; empty makes a random key per process (URLs die with it).
    url_signing_key: str = ""
    url_ttl_seconds: int = 3600
    # Origins allowed to fetch streams from a browser ("*" for any).
    cors_origins: tuple[str, ...] = ()
    # The video server closes a connection that sent no complete request head for this long
    # after it opened or after its last answer (idle keep-alive and half-sent headers alike)...
    http_idle_timeout_seconds: float = 60.0
    # ...and gives an unread request body this long to drain after the answer, then closes.
    http_body_timeout_seconds: float = 10.0
    # Pictures larger than this many pixels are refused rather than decoded (memory bombs).
    max_pixels: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        problems = []
        if self.cache_max_bytes < 0:
            problems.append("MEDIA_CACHE_MAX_BYTES must be >= 0")
        if self.proxy_workers < 1:
            problems.append("MEDIA_PROXY_WORKERS must be >= 1")
        if self.batch_concurrency < 1:
            problems.append("MEDIA_BATCH_CONCURRENCY must be >= 1")
        if not 0 <= self.http_port <= 65535:
            problems.append("MEDIA_HTTP_PORT must be a port number (0 turns the video server off)")
        if self.url_ttl_seconds < 1:
            problems.append("MEDIA_URL_TTL_SECONDS must be >= 1")
        if self.url_signing_key and len(self.url_signing_key) < 16:
            problems.append("MEDIA_URL_SIGNING_KEY must be at least 16 characters")
        if not (self.http_idle_timeout_seconds > 0 and self.http_body_timeout_seconds > 0):
            problems.append("MEDIA_HTTP_IDLE_TIMEOUT_SECONDS and MEDIA_HTTP_BODY_TIMEOUT_SECONDS must be > 0")
        if self.max_pixels < 1:
            problems.append("MEDIA_MAX_PIXELS must be >= 1")
        if problems:
            raise SettingsError("; ".join(problems))
