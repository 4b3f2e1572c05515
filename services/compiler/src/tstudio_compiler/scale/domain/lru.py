"""Which cache entries to evict to fit a byte budget: least recently used first."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EntryUse:
    size: int
    last_used: float


def choose_evictions(
    entries: Mapping[str, EntryUse], max_bytes: int, protect: Collection[str] = ()
) -> list[str]:
    """Keys to drop, oldest use first, until the rest fit in `max_bytes`. Protected keys are kept
    unless nothing else is left to drop."""
    total = sum(entry.size for entry in entries.values())
    if total <= max_bytes:
        return []
    order = sorted(entries, key=lambda key: (key in protect, entries[key].last_used, key))
    chosen: list[str] = []
    for key in order:
        if total <= max_bytes:
            break
        chosen.append(key)
        total -= entries[key].size
    return chosen
