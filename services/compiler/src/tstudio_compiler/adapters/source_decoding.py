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


def frames_from(
    container: Any, stream: Any, start: float, origin: float, decoder: str = "", lead: float = 0.5
) -> Iterator[tuple[float, av.VideoFrame]]:
    """(seconds since the container's start, frame) from a keyframe at or before `start` onwards.

    Seeks `lead` seconds early; a demuxer that lands late or nowhere (MPEG-TS seeks by byte
    position and can land past the target, or at the end) is sought again further back, and at
    last the file is decoded from its start."""
    for back in (lead, lead + 3.0, None):
        if back is None or start - back <= 0 or not stream.time_base:
            container.seek(0)
            back = None
        else:
            container.seek(int((start - back + origin) / stream.time_base), stream=stream, backward=True)
        frames = (
            (float(f.pts * f.time_base) - origin, f)
            for f in decode_video(container, stream, decoder)
            if f.pts is not None and f.time_base is not None
        )
        first = next(frames, None)
        if first is None and back is not None:
            continue
        if first is not None and first[0] > start and back is not None:
            continue
        if first is not None:
            yield first
            yield from frames
        return
