"""Instantiates a planned segment graph with PyAV, node by node."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
import av.filter

from tstudio_compiler.adapters.tone_map_luts import ensure_luts
from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.plan import SegmentGraph

# AVColorSpace and AVColorRange values -> the buffer source's names.
_COLORSPACE = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc"}
_RANGE = {1: "tv", 2: "pc"}


def _colour_args(frame: av.VideoFrame) -> str:
    """The frame's colour tags on its buffer source, so that format negotiation (FFmpeg 7.1+
    negotiates colour spaces as it does pixel formats) starts from what the frames really are."""
    args = ""
    space = _COLORSPACE.get(int(frame.colorspace or 2))
    if space and not frame.format.is_rgb:
        args += f":colorspace={space}"
    color_range = _RANGE.get(int(frame.color_range or 0))
    if color_range:
        args += f":range={color_range}"
    return args


class SegmentRunner:
    """A configured graph: push one frame per input, pull composited frames from `out`."""

    def __init__(self, segment: SegmentGraph, templates: dict[str, av.VideoFrame], fps: float) -> None:
        rate = Fraction(fps).limit_denominator(1001)
        self.time_base = 1 / rate
        graph = av.filter.Graph()
        producers: dict[str, Any] = {}
        self.sources: dict[str, Any] = {}
        for spec in segment.inputs:
            frame = templates[spec.label]
            args = (
                f"video_size={frame.width}x{frame.height}:pix_fmt={frame.format.name}"
                f":time_base={self.time_base.numerator}/{self.time_base.denominator}"
                f":frame_rate={rate.numerator}/{rate.denominator}:pixel_aspect=1/1"
                f"{_colour_args(frame)}"
            )
            ctx = graph.add("buffer", args)
            producers[spec.label] = (ctx, 0)
            self.sources[spec.label] = ctx
        ensure_luts(f for chain in segment.graph.chains for f in chain.filters)
        for chain in segment.graph.chains:
            first = last = None
            # An empty chain passes its input through, as its printed form (`null`) says.
            for flt in chain.filters or (Filter("null"),):
                ctx = graph.add(flt.name, flt.args or None, name=flt.ref)
                if last is not None:
                    last.link_to(ctx)
                else:
                    first = ctx
                last = ctx
            assert first is not None and last is not None
            for pad, label in enumerate(chain.inputs):
                producer, out_pad = producers[label]
                producer.link_to(first, out_pad, pad)
            for out_pad, label in enumerate(chain.outputs):
                producers[label] = (last, out_pad)
        self.sink = graph.add("buffersink")
        producer, out_pad = producers["out"]
        producer.link_to(self.sink, out_pad, 0)
        graph.configure()
        self.graph = graph
        self.formats = {label: (f.width, f.height, f.format.name) for label, f in templates.items()}

    def push(self, label: str, frame: av.VideoFrame, pts: int) -> None:
        width, height, fmt = self.formats[label]
        if frame.width != width or frame.height != height or frame.format.name != fmt:
            # A source that changes size or format mid-stream keeps the first one's.
            frame = frame.reformat(width=width, height=height, format=fmt)
        frame.pts = pts
        frame.time_base = self.time_base
        self.sources[label].push(frame)

    def end(self) -> None:
        for ctx in self.sources.values():
            ctx.push(None)

    def pull(self) -> list[av.VideoFrame]:
        """Every frame ready now (after `end()`, every remaining frame)."""
        out: list[av.VideoFrame] = []
        while True:
            try:
                out.append(self.sink.pull())  # type: ignore[arg-type]
            except (BlockingIOError, av.error.BlockingIOError, EOFError, av.error.EOFError):
                return out
