"""FindMissingMedia and RelinkMedia: proto in, relink library, proto out.

The compiler servicer delegates to `RelinkRpc` (see scale/__init__.py); the CLI runs the same class
in-process when no compiler serves these RPCs yet. Blocking work (walking folders, hashing samples,
probing durations) runs in the given executor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from svckit.errors import FieldViolation, InvalidArgument
from svckit.paths import AllowedRoots
from tstudio.compiler.v1 import compiler_pb2, project_pb2

from tstudio_compiler.scale.adapters.fingerprint_ledger import FingerprintLedger, ledger_path_for
from tstudio_compiler.scale.domain.relink import KnownMedia, ProjectSource, apply_relinks, project_sources
from tstudio_compiler.scale.relink_service import find_missing_media, relink_media

log = logging.getLogger(__name__)

RunBlocking = Callable[..., Awaitable[Any]]


def _missing(source: ProjectSource) -> compiler_pb2.MissingMedia:
    return compiler_pb2.MissingMedia(
        path=source.path, resolved_path=source.resolved, fields=list(source.fields)
    )


class RelinkRpc:
    """`run_blocking` is `BlockingExecutor.run` (or any `await run(fn, *args)`)."""

    def __init__(self, allowed: AllowedRoots, run_blocking: RunBlocking) -> None:
        self.allowed = allowed
        self.run_blocking = run_blocking

    async def find_missing_media(
        self, request: compiler_pb2.FindMissingMediaRequest
    ) -> compiler_pb2.FindMissingMediaResponse:
        project, base_dir = self._project(request.project)
        missing = await self.run_blocking(self._find_and_record, project, base_dir)
        return compiler_pb2.FindMissingMediaResponse(missing=[_missing(s) for s in missing])

    async def relink_media(
        self, request: compiler_pb2.RelinkMediaRequest
    ) -> compiler_pb2.RelinkMediaResponse:
        if not request.search_roots:
            raise InvalidArgument(
                "at least one search root is required",
                field_violations=[FieldViolation("search_roots", "must not be empty")],
            )
        roots = [
            self.allowed.check(root, f"search_roots[{i}]") for i, root in enumerate(request.search_roots)
        ]
        project, base_dir = self._project(request.project)
        known = {
            fp.path: KnownMedia(
                size=fp.size if fp.HasField("size") else None,
                sample_hash=fp.sample_hash or None,
                duration=fp.duration_seconds if fp.HasField("duration_seconds") else None,
            )
            for fp in request.known
        }
        report = await self.run_blocking(self._relink, project, base_dir, roots, known)
        response = compiler_pb2.RelinkMediaResponse(
            proposals=[
                compiler_pb2.RelinkProposal(
                    missing=_missing(p.source),
                    new_path=p.new_path,
                    confidence=p.confidence,
                    reasons=list(p.reasons),
                )
                for p in report.proposals
            ],
            unresolved=[_missing(s) for s in report.unresolved],
        )
        if request.apply:
            relinked = apply_relinks(project, report.proposals, base_dir)
            response.project.CopyFrom(json_format.ParseDict(relinked, project_pb2.Project()))
        return response

    async def record_sources(self, project: project_pb2.Project) -> None:
        """Record the fingerprints of the project's existing sources in its ledger (on each render)."""
        data, base_dir = self._project(project)
        await self.run_blocking(self._known, data, base_dir)

    # -- blocking parts --------------------------------------------------------------------------

    def _project(self, project: project_pb2.Project) -> tuple[dict[str, Any], str]:
        base_dir = project.base_dir or os.getcwd()
        return json_format.MessageToDict(project), base_dir

    def _ledger(self, base_dir: str) -> FingerprintLedger:
        return FingerprintLedger(ledger_path_for(Path(base_dir)))

    def _known(self, project: Mapping[str, Any], base_dir: str) -> dict[str, KnownMedia]:
        """The ledger after recording the sources that exist now, so that a later move or rename is
        recognised by content (and an impostor refused)."""
        ledger = self._ledger(base_dir)
        present = [s.resolved for s in project_sources(project, base_dir) if os.path.isfile(s.resolved)]
        try:
            return ledger.record(present)
        except OSError as exc:
            log.warning("cannot write the fingerprint ledger in %s: %s", base_dir, exc)
            return ledger.load()

    def _find_and_record(self, project: Mapping[str, Any], base_dir: str) -> list[ProjectSource]:
        return find_missing_media(project, base_dir, self._known(project, base_dir))

    def _relink(
        self, project: Mapping[str, Any], base_dir: str, roots: list[Path], extra: Mapping[str, KnownMedia]
    ) -> Any:
        known = {**self._known(project, base_dir), **extra}
        return relink_media(project, base_dir, roots, known)
