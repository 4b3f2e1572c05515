"""Odd files for bad-input tests, written byte by byte (the normal ones come from svckit.testing)."""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_rotated_video(
    path: Path, counterclockwise: int, creation_time: str = "", language: str = ""
) -> Path:
    """A 1 s 160x120 H.264 clip whose display matrix turns it, optionally tagged with a creation
    time and a stream language."""
    with av.open(str(path), "w") as container:
        if creation_time:
            container.metadata["creation_time"] = creation_time
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.set_display_rotation(counterclockwise)
        if language:
            stream.metadata["language"] = language
        for index in range(25):
            frame = av.VideoFrame.from_ndarray(np.zeros((120, 160, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 25)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_huge_png(path: Path, width: int = 16000, height: int = 16000) -> Path:
    """A valid PNG header declaring a huge picture (decoding it would allocate width*height*3)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )
    return path


def write_unknown_codec_wav(path: Path) -> Path:
    """A WAV whose format tag names no codec FFmpeg has."""
    data = b"\x00\x01" * 48000
    fmt = struct.pack("<HHIIHH", 0x9999, 2, 48000, 48000 * 4, 4, 16)
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def write_exif_rotated_jpeg(path: Path, width: int = 64, height: int = 48) -> Path:
    """A JPEG stored landscape with EXIF orientation 6 ("turn 90° clockwise to display")."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (width, height), (255, 0, 0)).save(path, exif=exif)
    return path
