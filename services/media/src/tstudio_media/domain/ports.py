"""The outside things the media domain needs, as small protocols (PyAV, Pillow and disk adapters
implement them; unit tests may pass fakes). All are blocking: callers run them in the executor."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tstudio_media.domain.diagnostics import DiagnosticItem
from tstudio_media.domain.media_info import MediaInfo
from tstudio_media.domain.picture_request import PictureSpec, SeekMode
from tstudio_media.domain.pictures import Filmstrip, FilmstripRequest, Picture
from tstudio_media.domain.proxy_plan import ProxyPlan, ProxyResult
from tstudio_media.domain.waveform import Waveform


class Prober(Protocol):
    def probe(self, path: Path) -> MediaInfo:
        """Metadata of the file at `path`."""
        ...


class Pictures(Protocol):
    def thumbnail(self, path: Path, seconds: float, spec: PictureSpec, mode: SeekMode) -> Picture: ...

    def filmstrip(
        self, path: Path, request: FilmstripRequest, spec: PictureSpec, mode: SeekMode
    ) -> Filmstrip: ...


class Waveforms(Protocol):
    def waveform(self, path: Path, buckets: int, start: float, end: float) -> Waveform: ...


class Proxies(Protocol):
    def transcode(
        self,
        source: Path,
        output: Path,
        plan: ProxyPlan,
        cancel: threading.Event,
        progress: Callable[[float, float], None],
    ) -> ProxyResult:
        """Write the proxy to `output` (atomically); raise Cancelled when `cancel` is set."""
        ...


class ResultStore(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...


class DiagnosticsSource(Protocol):
    def items(self) -> list[DiagnosticItem]:
        """Facts about this replica and its dependencies."""
        ...
