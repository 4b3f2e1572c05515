"""Walks search roots for files that could be a missing source, and measures only those (by name or
by recorded size), so a large media library is not hashed file by file."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from svckit.errors import FieldViolation, InvalidArgument

from tstudio_compiler.scale.adapters.fingerprint import media_duration, sample_hash
from tstudio_compiler.scale.domain.relink import Candidate, ProjectSource

log = logging.getLogger(__name__)


def _stem(name: str) -> str:
    return name.rpartition(".")[0].casefold() or name.casefold()


class MediaSearch:
    def __init__(self, roots: Sequence[str | Path], max_files: int = 200_000) -> None:
        self.roots = [Path(root) for root in roots]
        self.max_files = max_files
        bad = [
            FieldViolation(f"search_roots[{i}]", "not a directory")
            for i, r in enumerate(self.roots)
            if not r.is_dir()
        ]
        if bad:
            raise InvalidArgument("search roots must be existing directories", field_violations=bad)

    def candidates_for(self, missing: Sequence[ProjectSource]) -> list[Candidate]:
        """Files under the roots that share a name or stem with, or have the recorded size of, a
        missing source; measured (size, duration, sampled hash). Blocking."""
        stems = {_stem(os.path.basename(s.path.replace("\\", "/"))) for s in missing}
        sizes = {s.known.size for s in missing if s.known.size is not None}
        found: list[Candidate] = []
        seen = 0
        for root in self.roots:
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                for name in sorted(files):
                    seen += 1
                    if seen > self.max_files:
                        log.warning("relink search stopped after %d files", self.max_files)
                        return found
                    path = Path(folder) / name
                    try:
                        size = path.stat().st_size
                    except OSError:
                        continue
                    if _stem(name) not in stems and size not in sizes:
                        continue
                    try:
                        digest = sample_hash(path, size)
                    except OSError:
                        continue
                    found.append(Candidate(str(path), size, media_duration(path), digest))
        return found
