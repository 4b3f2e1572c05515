"""Nested timelines: a clip whose source is another project (`source.project`), planned at the
parent's size and rate and fed into the parent's graph frame by frame (adapters/nested_feeder.py).

Each nested project goes through the compiler's whole preparation (validation, path checks, probes,
planning) with its violations reported under the clip's field path
(`tracks[1].clips[0].source.project.tracks[0].clips[2].speed`). Inline projects cannot form cycles;
nesting is limited to MAX_DEPTH levels.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from svckit.errors import FieldViolation, ServiceError

from tstudio_compiler.domain.model import OutputSettings, Project
from tstudio_compiler.domain.plan import RenderPlan

MAX_DEPTH = 4

PlanInner = Callable[[Project], Awaitable[RenderPlan]]


def as_nested(inner: Project, parent: Project, width: int, height: int, fps: float) -> Project:
    """The inner project at the parent's size and rate, its media resolved against its own base_dir
    (or the parent's), no output of its own (and so no chapters)."""
    settings = replace(inner.settings, width=width, height=height, fps=fps)
    # Transparent nested backgrounds stay transparent (yuva420p) under the parent's layers.
    output = OutputSettings(path="", audio_codec=parent.output.audio_codec)
    return replace(
        inner, settings=settings, output=output, base_dir=inner.base_dir or parent.base_dir, markers=()
    )


async def plan_nested(
    project: Project, size: tuple[int, int, float], plan_inner: PlanInner, depth: int = 0
) -> dict[str, RenderPlan]:
    """Clip id -> the plan of its nested project, for every nested clip of `project`."""
    plans: dict[str, RenderPlan] = {}
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            inner = clip.source.project
            if inner is None:
                continue
            prefix = f"tracks[{ti}].clips[{ci}].source.project"
            if depth + 1 > MAX_DEPTH:
                raise _prefixed(prefix, [FieldViolation("", f"nested deeper than {MAX_DEPTH} levels")])
            try:
                plans[clip.id] = await plan_inner(as_nested(inner, project, *size))
            except ServiceError as exc:
                if not exc.details.field_violations:
                    raise
                raise _prefixed(prefix, list(exc.details.field_violations), exc) from exc
    return plans


def _prefixed(prefix: str, violations: list[FieldViolation], exc: ServiceError | None = None) -> ServiceError:
    fields = [FieldViolation(f"{prefix}.{v.field}" if v.field else prefix, v.description) for v in violations]
    if exc is not None:
        exc.details.field_violations = fields
        return exc
    from svckit.errors import InvalidArgument

    return InvalidArgument(
        f"{prefix}: {fields[0].description}", reason="INVALID_PROJECT", field_violations=fields
    )
