"""Source sound into the mix format (rate, float planar, the project's layout) without clipping.

swresample's standard downmix matrices (ITU-R BS.775: centre and surrounds at -3 dB) sum more than
one input into each output; for float output it does not scale them, so a loud 5.1 source peaks
well above 1.0 after a downmix (a plain `av.AudioResampler` gave 2.38 for a full-scale in-phase
5.1 tone). `rematrix_maxval=1` normalises each output's coefficients to sum to at most 1, what
the ffmpeg CLI does for integer output: the same standard matrix, never above full scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
import av.filter
import numpy as np

# FFmpeg's default layout for a channel count (av_channel_layout_default).
_DEFAULT_LAYOUT = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _layout_name(layout: Any) -> str:
    name = str(layout.name)
    # An unordered layout ("2 channels", a WAV without a channel mask) takes the default order.
    if "channel" not in name:
        return name
    count = len(layout.channels)
    return _DEFAULT_LAYOUT.get(count, f"{count}c")


class Downmix:
    """Converts decoded frames to `rate` Hz float planar `layout` with the normalised standard matrix."""

    def __init__(self, rate: int, layout: str) -> None:
        self._rate, self._layout = rate, layout
        self._key: tuple[str, int, str] | None = None
        self._source: Any = None
        self._sink: Any = None
        self._graph: Any = None

    def _configure(self, frame: av.AudioFrame) -> None:
        layout = _layout_name(frame.layout)
        key = (layout, frame.sample_rate, frame.format.name)
        if key == self._key:
            return
        graph = av.filter.Graph()
        self._source = graph.add(
            "abuffer",
            f"sample_rate={frame.sample_rate}:sample_fmt={frame.format.name}"
            f":channel_layout={layout}:time_base=1/{frame.sample_rate}",
        )
        resample = graph.add("aresample", f"osr={self._rate}:ochl={self._layout}:osf=fltp:rematrix_maxval=1")
        aformat = graph.add(
            "aformat", f"sample_fmts=fltp:channel_layouts={self._layout}:sample_rates={self._rate}"
        )
        self._sink = graph.add("abuffersink")
        self._source.link_to(resample)
        resample.link_to(aformat)
        aformat.link_to(self._sink)
        graph.configure()
        self._graph = graph  # the filter contexts live only as long as their graph
        self._key = key
        self._pts = 0

    def convert(self, frame: av.AudioFrame) -> Iterator[np.ndarray]:
        """The frame's samples in the mix format, shape (channels, n), as they come out."""
        self._configure(frame)
        frame.pts = self._pts
        frame.time_base = Fraction(1, frame.sample_rate)
        self._pts += frame.samples
        self._source.push(frame)
        yield from self._drain()

    def flush(self) -> Iterator[np.ndarray]:
        """What the resampler still holds at the end of the sound."""
        if self._source is not None:
            self._source.push(None)
            yield from self._drain()
            self._key = None

    def _drain(self) -> Iterator[np.ndarray]:
        while True:
            try:
                out: Any = self._sink.pull()
            except (BlockingIOError, av.error.BlockingIOError, EOFError, av.error.EOFError):
                return
            yield out.to_ndarray()
