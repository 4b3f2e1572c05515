"""Probe of still PNGs from their header chunks alone.

FFmpeg's probing decodes the whole picture just to learn its pixel format (9 ms for a 1280x720
PNG here, most of a probe); IHDR states it. Animated PNGs (an acTL chunk before the image data)
and anything unusual return None, and the caller probes with FFmpeg as usual.
"""

from __future__ import annotations

import struct
from pathlib import Path

import av
from svckit.source_description import SourceDescription

from tstudio_media.domain.media_info import MediaInfo, MediaKind, StreamInfo, StreamType

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# (colour type, bit depth) -> FFmpeg's pixel format name for what its PNG decoder outputs.
_PIXEL_FORMATS = {
    (0, 1): "monob",
    (0, 2): "gray",
    (0, 4): "gray",
    (0, 8): "gray",
    (0, 16): "gray16be",
    (2, 8): "rgb24",
    (2, 16): "rgb48be",
    (3, 1): "pal8",
    (3, 2): "pal8",
    (3, 4): "pal8",
    (3, 8): "pal8",
    (4, 8): "ya8",
    (4, 16): "ya16be",
    (6, 8): "rgba",
    (6, 16): "rgba64be",
}
_HEAD_BYTES = 64 * 1024
# Colour chunks FFmpeg's decoder turns into colour tags: with them, FFmpeg describes the picture.
_COLOUR_CHUNKS = frozenset({b"sRGB", b"gAMA", b"cHRM", b"iCCP", b"cICP"})


def png_info(path: Path) -> MediaInfo | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
            size = handle.seek(0, 2)
    except OSError:
        return None
    if not head.startswith(_SIGNATURE) or len(head) < 33 or head[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack_from(">IIBB", head, 16)
    pixel_format = _PIXEL_FORMATS.get((colour, depth))
    if pixel_format is None or not width or not height:
        return None
    position = 8
    while position + 8 <= len(head):
        length, kind = struct.unpack_from(">I4s", head, position)
        if kind == b"acTL":
            return None  # animated: FFmpeg's apng demuxer reads it as video
        if kind in _COLOUR_CHUNKS:
            return None  # tagged colour: let FFmpeg's decoder report it
        if kind == b"IDAT":
            break
        position += 12 + length
    else:
        return None  # no image data in the first 64 KiB of chunks: let FFmpeg judge
    stream = StreamInfo(
        index=0,
        type=StreamType.VIDEO,
        codec="png",
        codec_long_name="PNG (Portable Network Graphics) image",
        width=width,
        height=height,
        pixel_format=pixel_format,
        sample_aspect_ratio="",
        display_aspect_ratio="",
    )
    return MediaInfo(
        path=str(path),
        kind=MediaKind.IMAGE,
        container="png_pipe",
        container_long_name="piped png sequence",
        size_bytes=size,
        streams=(stream,),
        source=_description(width, height, pixel_format),
    )


def _description(width: int, height: int, pixel_format: str) -> SourceDescription:
    """What `describe_source` reads from an untagged still PNG, from its header."""
    components = list(av.VideoFormat(pixel_format).components)
    return SourceDescription(
        has_video=True,
        has_audio=False,
        attached_picture=False,
        width=width,
        height=height,
        display_width=width,
        display_height=height,
        color_range="pc",
        bit_depth=max((int(c.bits) for c in components), default=8),
        pix_fmt=pixel_format,
        has_alpha=any(c.is_alpha for c in components),
        field_order="progressive",
        video_codec="png",
        still=True,
        video_stream_index=0,
    )
