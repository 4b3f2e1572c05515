"""Trims checked against the probed media: a `source_out` past the end of its file is refused before
anything renders (FAILED_PRECONDITION: the project is well-formed, the file on disk is shorter)."""

from __future__ import annotations

from collections.abc import Mapping

from svckit.errors import FailedPrecondition, FieldViolation, Resource

from tstudio_compiler.domain.compositing_validation import MAX_REVERSE_SECONDS
from tstudio_compiler.domain.model import Project

# Containers round their durations; a trim within this of the end is the end.
TOLERANCE = 0.05


def check_source_ranges(project: Project, lengths: Mapping[str, float]) -> None:
    """`lengths` maps each clip's source path as written in the project to the media's length in
    seconds (0 for still images, which have no end). Raises FailedPrecondition naming every clip."""
    violations: list[FieldViolation] = []
    resources: list[Resource] = []
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            length = lengths.get(clip.source.path) if clip.source.path else None
            if not length:
                continue
            cp = f"tracks[{ti}].clips[{ci}]"
            played = (clip.source_out or length) - clip.source_in
            if clip.reverse and played > MAX_REVERSE_SECONDS:
                violations.append(
                    FieldViolation(
                        f"{cp}.reverse", f"reverse plays at most {MAX_REVERSE_SECONDS:g} s of source"
                    )
                )
            for field, name, value in (
                (f"{cp}.source_out", "sourceOut", clip.source_out),
                (f"{cp}.freeze_at", "freezeAt", clip.freeze_at or 0.0),
            ):
                if value <= length + TOLERANCE:
                    continue
                violations.append(
                    FieldViolation(
                        field,
                        f"{name} {value:g} s is past the end of {clip.source.path}, which is {length:.3f} s long",
                    )
                )
                resources.append(Resource("file", clip.source.path, f"{length:.3f} s long"))
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise FailedPrecondition(
            f"{first.field}: {first.description}{more}",
            reason="REVERSE_TOO_LONG" if first.field.endswith(".reverse") else "SOURCE_OUT_PAST_END",
            field_violations=violations,
            resources=resources,
        )
