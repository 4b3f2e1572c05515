"""The key ring on disk, kept twice and checksummed per record (issue 15 item 14).

`keyring.json` and its mirror `keyring.backup.json` hold the same content (format 2): the header
(provider, current version, rotation) with its own checksum, and each wrapped data key with its
own checksum. Reading takes every copy that can be parsed, keeps each record whose
checksum holds, and prefers the primary's; so one flipped byte anywhere (even one that breaks the
JSON) costs nothing, and damage to the same record in both copies costs that key version only
(its secrets are DATA_LOSS; the others stay readable). Format 1 (no checksums, one file) is read
as before and written as format 2 at the next write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 2
LEGACY_FORMAT = 1


def backup_path(primary: Path) -> Path:
    return primary.with_name(primary.stem + ".backup" + primary.suffix)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def record_check(version: int, wrapped: dict[str, str]) -> str:
    return _digest({"version": version, "wrapped": wrapped})


def encode(provider: str, current: int, rotating_to: int | None, wrapped: dict[int, dict[str, str]]) -> bytes:
    versions = {str(v): {"wrapped": w, "check": record_check(v, w)} for v, w in sorted(wrapped.items())}
    header: dict[str, Any] = {"provider": provider, "current": current, "rotating_to": rotating_to}
    body: dict[str, Any] = {"format": FORMAT, **header, "check": _digest(header), "versions": versions}
    return json.dumps(body, indent=2, sort_keys=True).encode()


@dataclass
class Header:
    provider: str
    current: int
    rotating_to: int | None


@dataclass
class RingRead:
    """What the copies agree on: the header, and per version the sound records, best first."""

    header: Header | None
    candidates: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    # Human-readable notes on what was damaged or missing, for the log.
    problems: list[str] = field(default_factory=list)
    # Versions named by some copy with no sound record in any.
    lost: set[int] = field(default_factory=set)
    # Whether every copy is present, sound, and in the current format.
    clean: bool = True


def read_copies(copies: list[tuple[str, bytes | None]]) -> RingRead:
    """Merge the copies (name, bytes or None when the file is missing), primary first."""
    result = RingRead(header=None)
    fallback_header: Header | None = None
    named: set[int] = set()
    for name, data in copies:
        if data is None:
            result.problems.append(f"{name} is missing")
            result.clean = False
            continue
        try:
            body = json.loads(data)
            if not isinstance(body, dict):
                raise ValueError("not an object")
            fmt = body.get("format")
            if fmt not in (FORMAT, LEGACY_FORMAT):
                raise ValueError(f"unsupported key ring format {fmt!r}")
            header = Header(
                provider=str(body["provider"]),
                current=int(body["current"]),
                rotating_to=None if body.get("rotating_to") is None else int(body["rotating_to"]),
            )
            versions = body["versions"]
            if not isinstance(versions, dict):
                raise ValueError("versions is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            result.problems.append(f"{name} is unreadable ({exc})")
            result.clean = False
            continue
        if fmt == LEGACY_FORMAT:
            result.clean = False
            body_sound = True
        else:
            fields = {
                "provider": body["provider"],
                "current": body["current"],
                "rotating_to": body.get("rotating_to"),
            }
            body_sound = body.get("check") == _digest(fields)
        if body_sound and result.header is None:
            result.header = header
        elif not body_sound:
            result.problems.append(f"{name}'s header checksum does not match")
            result.clean = False
        fallback_header = fallback_header or header
        for key, entry in versions.items():
            try:
                version = int(key)
            except ValueError:
                result.clean = False
                continue
            named.add(version)
            wrapped = _sound_record(fmt, version, entry)
            if wrapped is None:
                result.problems.append(f"{name}: the record of key version {version} is damaged")
                result.clean = False
                continue
            result.candidates.setdefault(version, []).append(wrapped)
    if result.header is None:
        result.header = fallback_header
    result.lost = named - set(result.candidates)
    if len(copies) > 1 and result.clean:
        # Both sound: they must also say the same thing.
        first, second = (c[1] for c in copies[:2])
        result.clean = first == second
    return result


def _sound_record(fmt: int, version: int, entry: Any) -> dict[str, str] | None:
    if fmt == LEGACY_FORMAT:
        return dict(entry) if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("wrapped"), dict):
        return None
    wrapped = dict(entry["wrapped"])
    return wrapped if entry.get("check") == record_check(version, wrapped) else None
