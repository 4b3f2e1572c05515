"""Animated GIF in two passes over the rendered frames: a palette made for this render
(`palettegen`), then every frame mapped onto it (`paletteuse`, with the chosen dithering).

The render's frames go first into a lossless FFV1 intermediate beside the output (removed after),
so the timeline is composited once and read twice.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.filter

from tstudio_compiler.domain.encoding import EncodeSettings

# The intermediate's encoding: lossless RGB.
INTERMEDIATE_ENCODER = "ffv1"
INTERMEDIATE_PIX_FMT = "bgr0"


def intermediate_settings(encode: EncodeSettings) -> EncodeSettings:
    return EncodeSettings(
        video_encoder=INTERMEDIATE_ENCODER,
        pix_fmt=INTERMEDIATE_PIX_FMT,
        container_format="matroska",
    )


def _frames(path: Path) -> Any:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.reformat(format="rgb24")


def _graph(inputs: list[tuple[int, int, str]], rate: Fraction, tail: list[tuple[str, str]]) -> Any:
    graph = av.filter.Graph()
    tb = 1 / rate
    sources = []
    for width, height, pix_fmt in inputs:
        sources.append(
            graph.add(
                "buffer",
                f"video_size={width}x{height}:pix_fmt={pix_fmt}:time_base={tb.numerator}/{tb.denominator}"
                f":frame_rate={rate.numerator}/{rate.denominator}:pixel_aspect=1/1",
            )
        )
    last = None
    for name, args in tail:
        ctx = graph.add(name, args or None)
        if last is None:
            for pad, source in enumerate(sources):
                source.link_to(ctx, 0, pad)
        else:
            last.link_to(ctx)
        last = ctx
    sink = graph.add("buffersink")
    assert last is not None
    last.link_to(sink)
    graph.configure()
    return graph, sources, sink


def _pull_all(sink: Any) -> list[av.VideoFrame]:
    out = []
    while True:
        try:
            out.append(sink.pull())
        except (BlockingIOError, av.error.BlockingIOError, EOFError, av.error.EOFError):
            return out


def write_gif(intermediate: Path, output: Path, encode: EncodeSettings, fps: float, dither: str) -> int:
    """Encodes `intermediate` as a GIF at `output`; returns the frames written."""
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(intermediate)) as probe:
        width, height = (
            probe.streams.video[0].codec_context.width,
            probe.streams.video[0].codec_context.height,
        )
    # Pass 1: one palette for the whole render (transparency reserved off: GIF output is opaque).
    tail = [("palettegen", "stats_mode=full:reserve_transparent=0")]
    _, (source,), sink = _graph([(width, height, "rgb24")], rate, tail)
    for index, frame in enumerate(_frames(intermediate)):
        frame.pts, frame.time_base = index, 1 / rate
        source.push(frame)
    source.push(None)
    palette = _pull_all(sink)[0]
    # Pass 2: map every frame onto it.
    use = f"dither={dither}" + (":bayer_scale=3" if dither == "bayer" else "")
    inputs = [(width, height, "rgb24"), (palette.width, palette.height, palette.format.name)]
    _, (frames_in, palette_in), sink = _graph(inputs, rate, [("paletteuse", use)])
    palette.pts, palette.time_base = 0, 1 / rate
    palette_in.push(palette)
    palette_in.push(None)
    written = 0
    with av.open(str(output), "w", format="gif", options=dict(encode.container_options)) as container:
        stream: Any = container.add_stream("gif", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "pal8"

        def encode_all(frames: list[av.VideoFrame]) -> None:
            nonlocal written
            for out in frames:
                out.pts, out.time_base = written, 1 / rate
                for packet in stream.encode(out):
                    container.mux(packet)
                written += 1

        for index, frame in enumerate(_frames(intermediate)):
            frame.pts, frame.time_base = index, 1 / rate
            frames_in.push(frame)
            encode_all(_pull_all(sink))
        frames_in.push(None)
        encode_all(_pull_all(sink))
        for packet in stream.encode():
            container.mux(packet)
    return written
