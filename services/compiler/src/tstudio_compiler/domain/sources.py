"""What the planner needs to know about a source file (filled in by the media probe adapter)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceInfo:
    duration: float
    has_video: bool
    has_audio: bool
    # A still image: one picture, no length of its own.
    is_image: bool = False
    width: int = 0
    height: int = 0
    # An image sequence: its printf pattern (a folder's found pattern) and how many images it has;
    # `duration` is then at `source.fps` (see compiler.prepare).
    sequence: str = ""
    frame_count: int = 0
