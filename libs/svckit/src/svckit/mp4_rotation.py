"""Display rotation of MP4/MOV video tracks read from their track headers (`tkhd` matrices).

FFmpeg turns that matrix into display-matrix side data, which PyAV exposes only on decoded
frames; decoding a 1080p frame to learn one number would cost more than the whole rest of a probe,
so the few boxes are read here instead (a handful of small reads, moov may sit at the end).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from svckit.source_description import clockwise_rotation

_CONTAINERS = {b"moov", b"trak", b"mdia"}
_MAX_MOOV_BYTES = 64 * 1024 * 1024
# Top-level boxes walked before giving up (a real file has a handful).
_MAX_TOP_LEVEL_BOXES = 1000


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in data[start:end]."""
    position, stop = start, len(data) if end is None else end
    while position + 8 <= stop:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1 and position + 16 <= stop:
            size = struct.unpack_from(">Q", data, position + 8)[0]
            header = 16
        elif size == 0:
            size = stop - position
        if size < header or position + size > stop:
            return
        yield kind, position + header, position + size
        position += size


def _read_moov(handle: BinaryIO) -> bytes | None:
    """The moov box's bytes, walking top-level boxes by their sizes (no scan of media data)."""
    offset = 0
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            return None
        size, kind = struct.unpack_from(">I4s", header)
        header_size = 8
        if size == 1 and len(header) >= 16:
            size, header_size = struct.unpack_from(">Q", header, 8)[0], 16
        elif size == 0:
            return None if kind != b"moov" else handle.read()
        if size < header_size:
            return None
        if kind == b"moov":
            if size > _MAX_MOOV_BYTES:
                return None
            handle.seek(offset)
            return handle.read(size)
        offset += size
    return None


def _track(data: bytes, start: int, end: int) -> tuple[bytes, float]:
    """(handler type, counter-clockwise degrees) of one trak box."""
    handler, degrees = b"", 0.0
    for kind, payload, stop in _boxes(data, start, end):
        if kind == b"tkhd" and stop - payload >= 84:
            version = data[payload]
            matrix_at = payload + (52 if version == 1 else 40)
            if matrix_at + 36 <= stop:
                a, b, _u, c, d = struct.unpack_from(">iiiii", data, matrix_at)
                # 16.16 fixed point; FFmpeg's av_display_rotation_get on the same matrix.
                scale_x, scale_y = math.hypot(a, c), math.hypot(b, d)
                if scale_x and scale_y:
                    degrees = math.degrees(math.atan2(b / scale_y, a / scale_x))
        elif kind == b"mdia":
            for inner, inner_payload, inner_stop in _boxes(data, payload, stop):
                if inner == b"hdlr" and inner_stop - inner_payload >= 12:
                    handler = data[inner_payload + 8 : inner_payload + 12]
    return handler, degrees


def video_track_rotations(path: Path) -> list[int] | None:
    """Clockwise display rotation of each video track, in track order; None when the file is not
    an MP4/MOV whose header can be read this way (the caller then falls back)."""
    try:
        with open(path, "rb") as handle:
            moov = _read_moov(handle)
    except OSError:
        return None
    if moov is None:
        return None
    rotations = []
    for kind, payload, stop in _boxes(moov, 8):
        if kind == b"trak":
            handler, degrees = _track(moov, payload, stop)
            if handler == b"vide":
                rotations.append(clockwise_rotation(-degrees))
    return rotations
