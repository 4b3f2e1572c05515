"""One fact a replica reports about itself (FFmpeg version, cache size, ...)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiagnosticItem:
    # Dotted name, e.g. "ffmpeg.version", "encoder.libx264", "cache.bytes".
    name: str
    value: str
    ok: bool = True
