"""Nested timelines: a clip whose source is another project (`source.project`), planned at the
parent's size and rate and fed into the parent's graph frame by frame (adapters/nested_feeder.py).

Each nested project goes through the compiler's whole preparation (validation, path checks, probes,
planning) with its violations reported under the clip's field path
(`tracks[1].clips[0].source.project.tracks[0].clips[2].speed`). Inline projects cannot form cycles;
nesting is limited to MAX_DEPTH levels.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from svckit.errors import FieldViolation, ServiceError

from tstudio_compiler.domain.model import OutputSettings, Project
from tstudio_compiler.domain.plan import RenderPlan


def resolve_path(path: str, base_dir: str) -> str:
    expanded = os.path.expanduser(path)
    if os.path.isabs(expanded) or not base_dir:
        return os.path.normpath(expanded)
    return os.path.normpath(os.path.join(base_dir, expanded))


MAX_DEPTH = 4

PlanInner = Callable[[Project, tuple[str, ...]], Awaitable[RenderPlan]]
# (resolved path, field path) -> the project in that file, its base_dir its own folder.
LoadProject = Callable[[str, str], Awaitable[Project]]


class ProjectFiles(Protocol):
    """Reads a project file (proto3 JSON) into the model (adapters/project_files.py)."""

    def load(self, path: str, field: str) -> Project: ...


def as_nested(inner: Project, parent: Project, width: int, height: int, fps: float) -> Project:
    """The inner project at the parent's size and rate, its media resolved against its own base_dir
    (or the parent's), no output of its own (and so no chapters)."""
    settings = replace(inner.settings, width=width, height=height, fps=fps)
    # Transparent nested backgrounds stay transparent (yuva420p) under the parent's layers.
    # The parent's working colour too, so its frames need no conversion in the parent's graph.
    out = parent.output
    output = OutputSettings(
        path="", audio_codec=out.audio_codec, color_matrix=out.color_matrix, color_range=out.color_range
    )
    return replace(
        inner, settings=settings, output=output, base_dir=inner.base_dir or parent.base_dir, markers=()
    )


async def plan_nested(
    project: Project,
    size: tuple[int, int, float],
    plan_inner: PlanInner,
    load: LoadProject,
    nesting: tuple[str, ...] = (),
) -> dict[str, RenderPlan]:
    """Clip id -> the plan of its nested project, for every nested clip of `project`. `nesting`:
    the chain of projects above this one (file paths; "" for inline ones), for cycles and depth."""
    plans: dict[str, RenderPlan] = {}
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            source = clip.source
            if not source.nested:
                continue
            prefix = f"tracks[{ti}].clips[{ci}].source.project"
            if len(nesting) + 1 > MAX_DEPTH:
                raise _prefixed(prefix, [FieldViolation("", f"nested deeper than {MAX_DEPTH} levels")])
            key = ""
            if source.project is not None:
                inner = source.project
            else:
                prefix += "_path"
                key = resolve_path(source.project_path, project.base_dir)
                if key in nesting:
                    chain = " -> ".join(p for p in (*nesting, key) if p)
                    raise _prefixed(prefix, [FieldViolation("", f"refers back to itself ({chain})")])
                inner = await load(key, prefix)
            try:
                plans[clip.id] = await plan_inner(as_nested(inner, project, *size), (*nesting, key))
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
