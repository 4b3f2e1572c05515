"""Relinking in one call each, for the servicer and the CLI: find a project's missing media, and
propose (and optionally apply) new paths for it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tstudio_compiler.scale.adapters.media_search import MediaSearch
from tstudio_compiler.scale.domain.relink import (
    KnownMedia,
    ProjectSource,
    RelinkReport,
    find_missing,
    project_sources,
    relink,
)


def _with_known(sources: list[ProjectSource], known: Mapping[str, KnownMedia]) -> list[ProjectSource]:
    return [
        ProjectSource(s.path, s.resolved, s.fields, s.min_duration, known.get(s.resolved, s.known))
        for s in sources
    ]


def find_missing_media(
    project: Mapping[str, Any], base_dir: str, known: Mapping[str, KnownMedia] | None = None
) -> list[ProjectSource]:
    """Sources of `project` (proto3 JSON dict) that are not files any more. Blocking."""
    sources = _with_known(project_sources(project, base_dir), known or {})
    return find_missing(sources, os.path.isfile)


def relink_media(
    project: Mapping[str, Any],
    base_dir: str,
    search_roots: Sequence[str | Path],
    known: Mapping[str, KnownMedia] | None = None,
) -> RelinkReport:
    """A proposal per missing source found under `search_roots`, the rest unresolved. Blocking."""
    missing = find_missing_media(project, base_dir, known)
    if not missing:
        return RelinkReport((), ())
    candidates = MediaSearch(search_roots).candidates_for(missing)
    return relink(missing, candidates)
