"""Timeline markers as container chapters (MP4/MOV chapter tracks, Matroska chapters): each runs from
its time to the next marker's, the last to the end of the render."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from tstudio_compiler.domain.compositing import Marker

_TIME_BASE = Fraction(1, 1000)


def chapters(markers: tuple[Marker, ...], duration: float) -> list[Any]:
    ends = [m.time for m in markers[1:]] + [duration]
    return [
        {
            "id": index + 1,
            "start": round(marker.time * 1000),
            "end": round(end * 1000),
            "time_base": _TIME_BASE,
            "metadata": {"title": marker.title or f"Chapter {index + 1}"},
        }
        for index, (marker, end) in enumerate(zip(markers, ends, strict=True))
    ]
