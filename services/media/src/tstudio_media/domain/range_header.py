"""RFC 9110 byte ranges: what a `Range` (with `If-Range`) asks of a representation of `size` bytes.

Decisions follow the RFC rather than any one server: a Range that is malformed, uses another unit
or has a reversed int-range is ignored (200 with the whole representation, §14.2 "MAY ignore"); a
valid set none of whose ranges is satisfiable gets 416 (§15.5.17); overlapping or adjacent ranges
are coalesced (§14.2 "MAY coalesce"), and a set that stays several disjoint ranges is answered
with the whole representation, since this server does not generate multipart/byteranges.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# RFC 9110 DIGIT is ASCII only (`\d` would take any Unicode digit).
_INT_RANGE = re.compile(r"^([0-9]+)-([0-9]*)$")
_SUFFIX_RANGE = re.compile(r"^-([0-9]+)$")
# Positions longer than this are past any file; they are not converted (Python refuses integers
# over 4300 digits, and converting long ones costs quadratic time).
_MAX_DIGITS = 18
_BEYOND = 10**_MAX_DIGITS
# Ranges per request beyond which the request is treated as abusive and the Range ignored.
_MAX_RANGES = 100


class RangeOutcome(enum.Enum):
    FULL = "full"  # 200, whole representation
    PARTIAL = "partial"  # 206 with Content-Range
    UNSATISFIABLE = "unsatisfiable"  # 416 with Content-Range: bytes */size


@dataclass(frozen=True)
class RangeDecision:
    outcome: RangeOutcome
    # Inclusive byte positions, set for PARTIAL.
    first: int = 0
    last: int = 0

    @property
    def length(self) -> int:
        return self.last - self.first + 1


FULL = RangeDecision(RangeOutcome.FULL)


def decide_range(header: str | None, size: int) -> RangeDecision:
    if header is None:
        return FULL
    unit, equals, spec = header.partition("=")
    if not equals or unit.lower() != "bytes":  # no whitespace around "=" in the grammar
        return FULL
    parts = [p.strip() for p in spec.split(",")]
    if not parts or len(parts) > _MAX_RANGES or any(not p for p in parts):
        return FULL
    spans: list[tuple[int, int]] = []
    for part in parts:
        if match := _INT_RANGE.match(part):
            first = _position(match.group(1))
            last = _position(match.group(2)) if match.group(2) else None
            if last is not None and last < first:
                return FULL  # invalid range-spec: the whole field is ignored
            if first < size:
                spans.append((first, min(last if last is not None else size - 1, size - 1)))
        elif match := _SUFFIX_RANGE.match(part):
            length = _position(match.group(1))
            if length > 0 and size > 0:
                spans.append((max(0, size - length), size - 1))
        else:
            return FULL
    if not spans:
        return RangeDecision(RangeOutcome.UNSATISFIABLE)
    merged = _coalesce(spans)
    if len(merged) > 1:
        return FULL
    first, last = merged[0]
    return RangeDecision(RangeOutcome.PARTIAL, first, last)


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else _BEYOND


def _coalesce(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def if_range_matches(if_range: str | None, etag: str, last_modified_seconds: int) -> bool:
    """Whether a Range may be honoured under `If-Range` (§13.1.5): an entity-tag must equal the
    current strong ETag (weak tags never match); a date must equal Last-Modified exactly."""
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith("W/"):
        return False
    if value.startswith('"'):
        return value == etag
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return int(date.timestamp()) == last_modified_seconds
