"""Finds which encoders really work here by opening each one on a tiny picture."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import av

from tstudio_compiler.domain.encoding import HARDWARE, SOFTWARE, EncoderStatus

log = logging.getLogger(__name__)


def _open(name: str) -> str:
    """Empty when the encoder opens, else why not."""
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return "not in this FFmpeg build"
    try:
        ctx: Any = av.CodecContext.create(name, "w")
        ctx.width, ctx.height = 256, 144
        ctx.time_base = Fraction(1, 30)
        ctx.framerate = Fraction(30, 1)
        formats = [f.name for f in (ctx.codec.video_formats or [])]
        ctx.pix_fmt = "yuv420p" if "yuv420p" in formats or not formats else formats[0]
        ctx.open()
        return ""
    except Exception as exc:
        return str(exc).strip() or type(exc).__name__


def probe_encoders() -> dict[str, EncoderStatus]:
    found: dict[str, EncoderStatus] = {}
    for codec, names in HARDWARE.items():
        for name in names:
            why = _open(name)
            found[name] = EncoderStatus(name, codec, True, not why, why)
    for codec, name in SOFTWARE.items():
        why = _open(name)
        found[name] = EncoderStatus(name, codec, False, not why, why)
    log.info("encoders available: %s", ", ".join(n for n, s in found.items() if s.available))
    return found


class ProbedEncoders:
    """`EncoderInventory`: encoders opened once, on first use (opening NVENC can take a moment)."""

    def __init__(self) -> None:
        self._found: dict[str, EncoderStatus] | None = None
        self._lock = threading.Lock()

    def encoders(self) -> Mapping[str, EncoderStatus]:
        with self._lock:
            if self._found is None:
                self._found = probe_encoders()
            return self._found

    def ffmpeg_version(self) -> str:
        return str(getattr(av, "ffmpeg_version_info", "unknown"))
