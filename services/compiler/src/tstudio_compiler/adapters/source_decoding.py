"""Decoded pictures of a source's first video stream, through the decoder its description names:
FFmpeg's native VP9 decoder drops the alpha plane that `libvpx-vp9` reads from the WebM block
additions, so alpha WebM sources are decoded with that one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import av


def decode_video(container: Any, stream: Any, decoder: str = "") -> Iterator[av.VideoFrame]:
    """Frames of `stream` in decode order (as `container.decode(stream)`), with `decoder` if named."""
    if not decoder or decoder == stream.codec_context.name:
        yield from container.decode(stream)
        return
    context: Any = av.CodecContext.create(decoder, "r")
    context.extradata = stream.codec_context.extradata
    context.thread_type = "AUTO"
    # demux() ends with an empty packet, which flushes the decoder.
    for packet in container.demux(stream):
        yield from context.decode(packet)
