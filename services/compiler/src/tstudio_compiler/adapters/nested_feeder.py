"""Frames of a nested timeline (InputSpec kind "nested"): its own plan's segment graphs run one
after another, each fed by its own inputs, like a render that hands its frames on instead of
encoding them. Past the nested timeline's end its last frame holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import av

from tstudio_compiler.adapters.transition_feeder import _ClipPicture
from tstudio_compiler.domain.plan import InputSpec

if TYPE_CHECKING:
    from tstudio_compiler.adapters.frame_feeders import FrameFeeder


class NestedFeeder:
    def __init__(self, spec: InputSpec, make: Callable[[InputSpec], FrameFeeder]) -> None:
        assert spec.nested is not None
        self._plan = spec.nested
        self._make = make
        self._segment = -1
        self._picture: _ClipPicture | None = None
        self._position = 0  # the nested frame the next `next()` gives
        self._last: tuple[int, av.VideoFrame] | None = None

    def _open(self, index: int) -> None:
        if self._picture is not None:
            self._picture.close()
        segment = self._plan.segments[index]
        self._picture = _ClipPicture(segment.graph, self._make, self._plan.fps, segment.frames)
        self._segment, self._position = index, segment.start_frame

    def frame(self, local_frame: int) -> av.VideoFrame:
        wanted = min(local_frame, self._plan.frames - 1)
        if self._last is not None and self._last[0] == wanted:
            return self._last[1]
        segment = self._plan.segment_at(wanted)
        assert segment is not None
        if segment.index != self._segment or self._position > wanted:
            self._open(segment.index)
        assert self._picture is not None
        while True:
            picture = self._picture.next()
            self._position += 1
            if self._position > wanted:
                break
        self._last = (wanted, picture)
        return picture

    def close(self) -> None:
        if self._picture is not None:
            self._picture.close()
