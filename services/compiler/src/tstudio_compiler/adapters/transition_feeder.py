"""Frames of a plugin transition, fed into a segment graph like any other picture input.

Each side (outgoing, incoming) runs its clip's own small graph (scale, crop, effects, fades: what the
clip would show alone, full frame, RGBA); the plugin blends the two pictures, and the result goes
into the segment's graph where an `xfade` of the two would otherwise be.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import av
from svckit.errors import DataLoss, Resource

from tstudio_compiler.adapters.graph_runner import SegmentRunner
from tstudio_compiler.domain.plan import InputSpec, SegmentGraph
from tstudio_compiler.domain.ports import FrameEffects

if TYPE_CHECKING:
    from tstudio_compiler.adapters.frame_feeders import FrameFeeder

FeederFactory = Callable[[InputSpec], "FrameFeeder"]


class _ClipPicture:
    """One side of a transition: its clip's graph, fed `frames` frames in order and pulled as they come."""

    def __init__(self, graph: SegmentGraph, make: FeederFactory, fps: float, frames: int) -> None:
        self._inputs = graph.inputs
        self._frames = frames
        self._feeders: dict[str, FrameFeeder] = {}
        try:
            for spec in graph.inputs:
                self._feeders[spec.label] = make(spec)
            templates = {s.label: self._feeders[s.label].frame(s.first_frame) for s in graph.inputs}
            self._runner = SegmentRunner(graph, templates, fps)
        except BaseException:
            self.close()
            raise
        self._fed = 0
        self._ended = False
        self._ready: deque[av.VideoFrame] = deque()

    def next(self) -> av.VideoFrame:
        # A filter may hold frames back until it has seen later ones (the ends flush them), so feed
        # until one comes out.
        while not self._ready:
            if self._fed < self._frames:
                for spec in self._inputs:
                    local = spec.first_frame + self._fed
                    self._runner.push(spec.label, self._feeders[spec.label].frame(local), local)
                self._fed += 1
            elif not self._ended:
                self._runner.end()
                self._ended = True
            else:
                break
            self._ready.extend(self._runner.pull())
        if self._ready:
            return self._ready.popleft()
        raise DataLoss(
            "a clip under a plugin transition gave no picture",
            reason="TRANSITION_INPUT_STALLED",
            resources=[Resource("clip", s.clip_id) for s in self._inputs if s.clip_id],
        )

    def close(self) -> None:
        for feeder in self._feeders.values():
            feeder.close()


class TransitionFeeder:
    """The blended frames of an input of kind "transition" (local frame 0 = the transition's first)."""

    def __init__(self, spec: InputSpec, plugins: FrameEffects, make: FeederFactory) -> None:
        assert spec.transition is not None
        self._transition = t = spec.transition
        self._bound = plugins.bind(t.type.removeprefix("plugin:"), t.params)
        # Each side is fed up to the transition's last frame, however many segments it spans.
        frames = t.frames - spec.first_frame
        self._outgoing = _ClipPicture(t.outgoing, make, spec.fps, frames)
        try:
            self._incoming = _ClipPicture(t.incoming, make, spec.fps, frames)
        except BaseException:
            self._outgoing.close()
            raise
        # Both sides start at the first frame the spec feeds.
        self._next = spec.first_frame
        self._last: tuple[int, av.VideoFrame] | None = None

    def frame(self, local_frame: int) -> av.VideoFrame:
        if self._last is not None and self._last[0] == local_frame:
            return self._last[1]  # a graph's template, asked for again
        while True:
            a, b = self._outgoing.next(), self._incoming.next()
            index = self._next
            self._next += 1
            if index >= local_frame:
                break
        rgba = self._bound.transition_view(
            a.to_ndarray(format="rgba"), b.to_ndarray(format="rgba"), self._transition.progress(local_frame)
        )
        # from_ndarray copies, so the view into the plugin's memory is free for its next call.
        out = av.VideoFrame.from_ndarray(rgba, format="rgba")
        self._last = (local_frame, out)
        return out

    def close(self) -> None:
        self._outgoing.close()
        self._incoming.close()
