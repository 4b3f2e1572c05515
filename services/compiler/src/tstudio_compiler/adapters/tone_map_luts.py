"""Writes the tone-mapping LUTs a graph names (svckit.tone_mapping) before FFmpeg reads them."""

from __future__ import annotations

from collections.abc import Iterable

from svckit.tone_mapping import lut_path, write_lut

from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.plan import RenderPlan

_KINDS = ("pq", "hlg")


def ensure_luts(filters: Iterable[Filter]) -> None:
    """Every tone-mapping LUT the filters read exists (written atomically on first use)."""
    for flt in filters:
        if flt.name != "lut3d":
            continue
        for kind in _KINDS:
            if f"file={lut_path(kind)}" in flt.args:
                write_lut(kind)


def plan_luts(plan: RenderPlan) -> None:
    """Every tone-mapping LUT the plan's graphs read exists (for a printed ffmpeg command)."""
    ensure_luts(f for segment in plan.segments for chain in segment.graph.graph.chains for f in chain.filters)
