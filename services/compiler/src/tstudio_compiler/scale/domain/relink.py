"""Recovery of broken media links: which project sources are gone, and which file found on disk is
most likely each of them.

Scoring is pure: the adapter supplies what it measured about each candidate (size, duration, a hash
of sampled bytes) and what is known about the missing source (from the fingerprint ledger, and the
clip trims that bound its duration). A content match wins whatever the file is called now; a file
that merely shares the name is refused when its content, size or duration say it is another file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Proposals under this confidence are reported as unresolved, never applied.
MIN_CONFIDENCE = 0.5
# Durations within this many seconds are "the same" (container rounding, a frame or two).
DURATION_TOLERANCE = 0.1


@dataclass(frozen=True)
class KnownMedia:
    """What was recorded about a source while it still existed; any field may be unknown."""

    size: int | None = None
    sample_hash: str | None = None
    duration: float | None = None


@dataclass(frozen=True)
class ProjectSource:
    """A media path a project uses. `path` is as written; `resolved` is absolute."""

    path: str
    resolved: str
    fields: tuple[str, ...]
    # The longest source time a clip reads (its source_out), so a shorter file cannot be it.
    min_duration: float = 0.0
    known: KnownMedia = field(default_factory=KnownMedia)


@dataclass(frozen=True)
class Candidate:
    path: str
    size: int
    duration: float | None = None
    sample_hash: str | None = None

    @property
    def name(self) -> str:
        return posixpath.basename(self.path.replace("\\", "/"))


@dataclass(frozen=True)
class Proposal:
    source: ProjectSource
    new_path: str
    confidence: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RelinkReport:
    proposals: tuple[Proposal, ...]
    unresolved: tuple[ProjectSource, ...]


def _basename(path: str) -> str:
    return posixpath.basename(path.replace("\\", "/"))


def _stem_ext(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, ext) if dot else (name, "")


def project_sources(project: Mapping[str, Any], base_dir: str) -> list[ProjectSource]:
    """Media sources of a project in its proto3 JSON form (camelCase or snake_case keys), one per
    distinct path, with the field paths that use it. Relative paths resolve against `base_dir`."""
    by_path: dict[str, dict[str, Any]] = {}
    for t, track in enumerate(project.get("tracks", []) or []):
        for c, clip in enumerate(track.get("clips", []) or []):
            path = (clip.get("source") or {}).get("path")
            if not path:
                continue
            resolved = path if posixpath.isabs(path) else posixpath.normpath(posixpath.join(base_dir, path))
            entry = by_path.setdefault(path, {"resolved": resolved, "fields": [], "min": 0.0})
            entry["fields"].append(f"tracks[{t}].clips[{c}].source.path")
            source_out = float(clip.get("sourceOut", clip.get("source_out", 0.0)) or 0.0)
            entry["min"] = max(entry["min"], source_out)
    return [
        ProjectSource(path=p, resolved=e["resolved"], fields=tuple(e["fields"]), min_duration=e["min"])
        for p, e in by_path.items()
    ]


def find_missing(sources: Iterable[ProjectSource], exists: Callable[[str], bool]) -> list[ProjectSource]:
    """The sources whose resolved path is not an existing file."""
    return [source for source in sources if not exists(source.resolved)]


def score(source: ProjectSource, candidate: Candidate) -> tuple[float, tuple[str, ...]]:
    """Confidence 0..1 that `candidate` is the missing `source`, with the reasons for it."""
    known = source.known
    reasons: list[str] = []
    if known.sample_hash and candidate.sample_hash:
        if known.sample_hash == candidate.sample_hash and known.size in (None, candidate.size):
            reasons.append("content fingerprint matches")
            same_name = candidate.name == _basename(source.path)
            reasons.append("same name" if same_name else "renamed")
            return (1.0 if same_name else 0.98), tuple(reasons)
        return 0.0, ("content fingerprint differs",)
    if known.size is not None and known.size != candidate.size:
        return 0.0, ("size differs",)
    if known.duration is not None and candidate.duration is not None:
        if abs(known.duration - candidate.duration) > DURATION_TOLERANCE:
            return 0.0, ("duration differs",)
    if source.min_duration and candidate.duration is not None:
        if candidate.duration + DURATION_TOLERANCE < source.min_duration:
            return 0.0, (
                f"shorter ({candidate.duration:.2f}s) than the clip needs ({source.min_duration:.2f}s)",
            )
    name, want = candidate.name, _basename(source.path)
    confidence = 0.0
    if name == want:
        confidence, reason = 0.6, "same name"
    elif name.casefold() == want.casefold():
        confidence, reason = 0.5, "same name (case differs)"
    elif _stem_ext(name)[0] == _stem_ext(want)[0]:
        confidence, reason = 0.3, "same stem, other extension"
    else:
        return 0.0, ("different name and no fingerprint to compare",)
    reasons.append(reason)
    if known.size is not None:
        confidence += 0.25
        reasons.append("same size")
    if known.duration is not None and candidate.duration is not None:
        confidence += 0.1
        reasons.append("same duration")
    if candidate.duration is None:
        confidence *= 0.5
        reasons.append("not readable as media")
    return min(confidence, 0.95), tuple(reasons)


def choose(source: ProjectSource, candidates: Sequence[Candidate]) -> Proposal | None:
    """The best candidate if it is confident enough and not tied with another file."""
    scored = sorted(
        ((*score(source, candidate), candidate) for candidate in candidates),
        key=lambda item: (-item[0], item[2].path),
    )
    if not scored or scored[0][0] < MIN_CONFIDENCE:
        return None
    best_confidence, reasons, best = scored[0]
    if len(scored) > 1 and scored[1][0] == best_confidence and best_confidence < 0.98:
        # Two equally likely files (same name in two folders, no fingerprint): a guess is not a relink.
        return None
    return Proposal(source=source, new_path=best.path, confidence=best_confidence, reasons=reasons)


def relink(missing: Sequence[ProjectSource], candidates: Sequence[Candidate]) -> RelinkReport:
    """A proposal per missing source that can be found; the rest stay unresolved. One file is never
    proposed for two different sources unless their content fingerprints both match it."""
    proposals: list[Proposal] = []
    unresolved: list[ProjectSource] = []
    for source in missing:
        proposal = choose(source, candidates)
        if proposal is None:
            unresolved.append(source)
        else:
            proposals.append(proposal)
    return RelinkReport(tuple(proposals), tuple(unresolved))


def _portable(path: str, base_dir: str) -> str:
    """`path` relative to `base_dir` when it lies inside it, so the project folder stays movable."""
    if base_dir and posixpath.isabs(path):
        relative = posixpath.relpath(path, base_dir)
        if not relative.startswith(".."):
            return relative
    return path


def apply_relinks(
    project: Mapping[str, Any], proposals: Iterable[Proposal], base_dir: str = ""
) -> dict[str, Any]:
    """A copy of the project (proto3 JSON form) with each relinked source path replaced; new paths
    inside `base_dir` are written relative to it."""
    new_paths = {proposal.source.path: _portable(proposal.new_path, base_dir) for proposal in proposals}
    result: dict[str, Any] = dict(project)
    tracks = []
    for track in project.get("tracks", []) or []:
        clips = []
        for clip in track.get("clips", []) or []:
            source = clip.get("source") or {}
            if source.get("path") in new_paths:
                clip = {**clip, "source": {**source, "path": new_paths[source["path"]]}}
            clips.append(clip)
        tracks.append({**track, "clips": clips})
    if "tracks" in project:
        result["tracks"] = tracks
    return result
