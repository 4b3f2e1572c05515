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
    # How the picture must be shown (the source description): clockwise degrees that turn it
    # upright, pixel aspect, colour range ("tv"/"pc") and matrix (FFmpeg names), RGB pixels,
    # alpha and the decoder that reads it, field order ("tt"/"bb"/... or ""), HDR ("pq"/"hlg"/"").
    rotation: int = 0
    # After turning, mirror left-right (EXIF orientations 2, 4, 5, 7).
    mirrored: bool = False
    sample_aspect: float = 1.0
    color_range: str = "tv"
    color_matrix: str = ""
    is_rgb: bool = False
    has_alpha: bool = False
    alpha_decoder: str = ""
    field_order: str = ""
    hdr: str = ""
    # A cover picture (ID3/MP4 attached picture) that is not video.
    attached_picture: bool = False
    # An image sequence: its printf pattern (a folder's found pattern) and how many images it has;
    # `duration` is then at `source.fps` (see compiler.prepare).
    sequence: str = ""
    frame_count: int = 0
