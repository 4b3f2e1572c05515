"""The EXIF orientation (1-8) of a JPEG, read from its APP1 segment.

FFmpeg turns EXIF orientation into a display matrix on decoded frames, but its rotation angle is
wrong for the mirrored orientations (2, 4, 5, 7: selfies from some phones): a horizontal mirror reads
as a 180-degree turn. The tag itself says both the turn and the mirror.
"""

from __future__ import annotations

import struct
from pathlib import Path

_HEAD_BYTES = 256 * 1024
# orientation -> (clockwise degrees to turn, then mirror left-right)
TRANSFORMS = {
    1: (0, False),
    2: (0, True),
    3: (180, False),
    4: (180, True),
    5: (90, True),
    6: (90, False),
    7: (270, True),
    8: (270, False),
}


def jpeg_orientation(path: str | Path) -> int | None:
    """1..8 from the first APP1 Exif segment, None when absent, invalid or not a JPEG."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
    except OSError:
        return None
    if data[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return None
        length = struct.unpack_from(">H", data, position + 2)[0]
        if marker == 0xE1 and data[position + 4 : position + 10] == b"Exif\x00\x00":
            return _tiff_orientation(data[position + 10 : position + 2 + length])
        position += 2 + length
    return None


def _tiff_orientation(tiff: bytes) -> int | None:
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    ifd = struct.unpack_from(order + "I", tiff, 4)[0]
    if ifd + 2 > len(tiff):
        return None
    count = struct.unpack_from(order + "H", tiff, ifd)[0]
    for entry in range(count):
        at = ifd + 2 + entry * 12
        if at + 12 > len(tiff):
            return None
        tag, kind = struct.unpack_from(order + "HH", tiff, at)
        if tag == 0x0112 and kind == 3:  # Orientation, SHORT
            value = struct.unpack_from(order + "H", tiff, at + 8)[0]
            return value if value in TRANSFORMS else None
    return None
