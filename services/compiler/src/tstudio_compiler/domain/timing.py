"""Clip lengths and the output frame grid."""

from __future__ import annotations

from collections.abc import Mapping

from tstudio_compiler.domain import keyframes, speed_ramp
from tstudio_compiler.domain.model import Clip, Project


def clip_length(clip: Clip, source_duration: float | None) -> float | None:
    """Seconds the clip occupies on the timeline; None when it depends on an unknown source length.

    An explicit `duration` wins; media plays `source_in..source_out` (or to the source's end) at `speed`.
    Still images have no length of their own (source_duration 0) and need `duration`.
    """
    if clip.duration > 0:
        return clip.duration
    captions = clip.source.captions
    if captions is not None:
        # Until the file is read its length is unknown.
        return max(0.0, captions.end - clip.source_in) if captions.loaded else None
    if clip.source.kind == "project":
        return None  # the nested timeline's length, known once it is planned
    if clip.source.kind != "media":
        return 0.0
    out = clip.source_out
    if out <= 0:
        if source_duration is None:
            return None
        out = source_duration
    ramp = keyframes.find(clip.animations, "speed")
    if ramp is not None:
        return speed_ramp.length(ramp, out - clip.source_in)
    return (out - clip.source_in) / clip.speed


def to_frame(seconds: float, fps: float) -> int:
    """The nearest frame on the output grid."""
    return round(seconds * fps + 1e-9)


def frame_span(start: float, length: float, fps: float) -> tuple[int, int]:
    """First and end (exclusive) frame of `start..start+length` on the grid, both rounded from
    timeline times (never the length on its own), so clips that meet stay joined and the
    timeline's frame count is its duration x fps; at least one frame."""
    first = to_frame(start, fps)
    return first, max(first + 1, to_frame(start + length, fps))


def project_lengths(project: Project, durations: Mapping[str, float]) -> dict[str, float | None]:
    """Timeline length of every clip, by clip id."""
    out: dict[str, float | None] = {}
    for track in project.tracks:
        for clip in track.clips:
            out[clip.id] = clip_length(clip, durations.get(clip.source.path) if clip.source.path else None)
    return out
