"""Writes the tone-mapping LUTs a graph names (domain.tone_mapping) before FFmpeg reads them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.plan import RenderPlan
from tstudio_compiler.domain.tone_mapping import cube, lut_path

_lock = threading.Lock()
_KINDS = ("pq", "hlg")


def ensure_luts(filters: Iterable[Filter]) -> None:
    """Every tone-mapping LUT the filters read exists (written atomically on first use)."""
    for flt in filters:
        if flt.name != "lut3d":
            continue
        for kind in _KINDS:
            path = Path(lut_path(kind))
            if f"file={path}" in flt.args and not path.exists():
                with _lock:
                    if path.exists():
                        continue
                    path.parent.mkdir(parents=True, exist_ok=True)
                    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
                    temp.write_text(cube(kind))
                    os.replace(temp, path)


def plan_luts(plan: RenderPlan) -> None:
    """Every tone-mapping LUT the plan's graphs read exists (for a printed ffmpeg command)."""
    ensure_luts(f for segment in plan.segments for chain in segment.graph.graph.chains for f in chain.filters)
