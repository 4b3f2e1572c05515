"""Content keys of render segments.

A segment's key is a hash of a canonical JSON form of everything that decides its pixels: the source
fingerprints, clip parameters, effects, output settings and the engine version. Two descriptions that
are equal as JSON values give the same key whatever their dict order, so a caller can build the
description from any mapping without sorting it first.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument

# Bump when the meaning of a key changes (not when the engine changes: that is `engine_version`).
KEY_SCHEME = 1


@dataclass(frozen=True)
class SourceFingerprint:
    """What identifies a source file's content without reading all of it."""

    size: int
    mtime_ns: int
    sample_hash: str

    def as_json(self) -> dict[str, Any]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "sample_hash": self.sample_hash}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> SourceFingerprint:
        return cls(
            size=int(value["size"]), mtime_ns=int(value["mtime_ns"]), sample_hash=str(value["sample_hash"])
        )


def _normalize(value: Any, path: str) -> Any:
    """JSON-able value with floats made canonical; refuses what JSON cannot carry exactly."""
    if isinstance(value, SourceFingerprint):
        return value.as_json()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidArgument(
                "segment description holds a non-finite number",
                field_violations=[FieldViolation(path or "segment", "must be a finite number")],
            )
        # 2.0 and 2 must key alike: a timeline read from JSON may give either.
        return int(value) if value.is_integer() else float(repr(value))
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgument(
                    "segment description has a non-string key",
                    field_violations=[FieldViolation(path or "segment", f"key {key!r} is not a string")],
                )
            out[key] = _normalize(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_normalize(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise InvalidArgument(
        "segment description holds a value that is not JSON",
        field_violations=[FieldViolation(path or "segment", f"{type(value).__name__} is not JSON-able")],
    )


def canonical_json(description: Mapping[str, Any]) -> str:
    """The one JSON text of a description: sorted keys, no spaces, canonical numbers."""
    return json.dumps(
        _normalize(description, ""),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def segment_key(description: Mapping[str, Any], engine_version: str) -> str:
    """Hex content key (64 chars) of a segment description rendered by `engine_version`."""
    if not engine_version:
        raise InvalidArgument(
            "engine version is required for a segment key",
            field_violations=[FieldViolation("engine_version", "must not be empty")],
        )
    # Field paths in errors are relative to the caller's description, hence normalising it alone.
    text = canonical_json(
        {"scheme": KEY_SCHEME, "engine": engine_version, "segment": _normalize(description, "")}
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
