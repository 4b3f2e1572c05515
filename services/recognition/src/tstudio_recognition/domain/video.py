"""What the analysis needs from a video decoder, and which frames it samples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# Shot detection compares small thumbnails: cuts are large changes, and small frames are cheap.
THUMB_WIDTH = 96


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    fps: float
    width: int
    height: int
    # Identity of the file for caching: path, size, modification time, inode.
    identity: tuple[str, int, int, int]


@dataclass(frozen=True)
class DecodedFrame:
    time: float
    index: int
    # A small RGB thumbnail of every frame, for shot detection (None when not asked for).
    thumb: np.ndarray | None
    # The RGB frame at analysis size, only for sampled frames.
    image: np.ndarray | None


class Sampler:
    """Picks frames by rate (`sample_fps`), by count (`every_n_frames`), or all of them."""

    def __init__(self, sample_fps: float = 0.0, every_n_frames: int = 0, start: float = 0.0) -> None:
        self._fps = sample_fps
        self._every = every_n_frames
        self._next = start
        self._seen = 0

    def want(self, time: float) -> bool:
        seen, self._seen = self._seen, self._seen + 1
        if self._every > 0:
            return seen % self._every == 0
        if self._fps > 0:
            # Half a millisecond of slack absorbs timestamp rounding.
            if time + 5e-4 >= self._next:
                self._next += 1.0 / self._fps
                while self._next <= time:
                    self._next += 1.0 / self._fps
                return True
            return False
        return True

    def interval(self, fps: float) -> float:
        """Seconds between sampled frames."""
        if self._every > 0:
            return self._every / fps
        if self._fps > 0:
            return max(1.0 / self._fps, 1.0 / fps)
        return 1.0 / fps


class VideoSource(Protocol):
    info: VideoInfo

    def frames(
        self,
        start: float,
        end: float,
        sampler: Sampler | None,
        analysis_size: tuple[int, int] | None,
        thumbs: bool,
    ) -> Iterator[DecodedFrame]:
        """Decode frames with start <= time < end in order (blocking). Sampled frames carry `image`
        at `analysis_size`; with `thumbs` every frame carries a small thumbnail."""
        ...
