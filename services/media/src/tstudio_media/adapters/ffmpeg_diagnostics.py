"""What GetDiagnostics reports: FFmpeg and PyAV versions, codecs this build can use, machine facts."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Sequence
from typing import Literal

import av
import av.codec

from tstudio_media.domain.diagnostics import DiagnosticItem

# The encoders and decoders the media service relies on (proxies, thumbnails, waveforms).
_ENCODERS = ("libx264", "aac", "mjpeg", "png", "libwebp")
_DECODERS = ("h264", "hevc", "vp9", "av1", "prores", "aac", "mp3", "opus", "pcm_s16le", "png", "mjpeg")


class FFmpegDiagnostics:
    """Static facts are read once; `extra` callables add live ones (cache bytes, queue depth)."""

    def __init__(self, extra: Sequence[Callable[[], list[DiagnosticItem]]] = ()) -> None:
        self._static = _static_items()
        self._extra = tuple(extra)

    def items(self) -> list[DiagnosticItem]:
        live = [
            DiagnosticItem("process.max_rss_bytes", str(_max_rss_bytes())),
            DiagnosticItem("process.load_average_1m", f"{os.getloadavg()[0]:.2f}"),
        ]
        for source in self._extra:
            live.extend(source())
        return [*self._static, *live]


def _static_items() -> list[DiagnosticItem]:
    items = [
        DiagnosticItem("ffmpeg.version", _ffmpeg_version()),
        DiagnosticItem("pyav.version", av.__version__),
        DiagnosticItem("cpu.count", str(os.cpu_count() or 0)),
        DiagnosticItem("gpu", "not used (media work is CPU-bound)"),
    ]
    for name in _ENCODERS:
        items.append(_codec_item("encoder", name, "w"))
    for name in _DECODERS:
        items.append(_codec_item("decoder", name, "r"))
    return items


def _codec_item(kind: str, name: str, mode: Literal["r", "w"]) -> DiagnosticItem:
    try:
        av.codec.Codec(name, mode)
    except Exception:
        return DiagnosticItem(f"{kind}.{name}", "missing", ok=False)
    return DiagnosticItem(f"{kind}.{name}", "available")


def _ffmpeg_version() -> str:
    info = getattr(av, "ffmpeg_version_info", None)
    if info:
        return str(info)
    versions = getattr(av, "library_versions", {})
    return ", ".join(f"{lib} {'.'.join(map(str, v))}" for lib, v in versions.items())


def _max_rss_bytes() -> int:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
