"""PyAV glue for the render engine: plugin effects and transitions applied to decoded video frames.

Sits between the FFmpeg filter graph (built-in effects) and the encoder. Each frame is converted to
RGBA once; plugins chain through read-only views of their memories (each plugin copies its input in
once), and the last view is copied straight into the outgoing AVFrame, so no other copies are made.
Call these from a worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import av
import numpy as np

from tstudio_compiler.plugins.registry import BoundPlugin


class PluginEffectStage:
    """A clip's plugin effects in timeline order, bound to their params once."""

    def __init__(self, effects: Sequence[BoundPlugin]) -> None:
        self._effects = tuple(effects)

    def __bool__(self) -> bool:
        return bool(self._effects)

    def apply(self, frame: av.VideoFrame, time_s: float) -> av.VideoFrame:
        """The frame with every plugin effect applied (RGBA out, same pts and time base)."""
        if not self._effects:
            return frame
        rgba: np.ndarray = frame.to_ndarray(format="rgba")
        for effect in self._effects:
            rgba = effect.effect_view(rgba, time_s)
        return _like(frame, rgba)


def apply_transition(
    transition: BoundPlugin, outgoing: av.VideoFrame, incoming: av.VideoFrame, progress: float
) -> av.VideoFrame:
    """One frame of a plugin transition (timing from `incoming`); both frames must be the same size."""
    a = outgoing.to_ndarray(format="rgba")
    b = incoming.to_ndarray(format="rgba")
    return _like(incoming, transition.transition_view(a, b, progress))


def _like(template: av.VideoFrame, rgba: np.ndarray) -> av.VideoFrame:
    out = av.VideoFrame.from_ndarray(rgba, format="rgba")
    out.pts = template.pts
    out.time_base = template.time_base
    return out
