"""The segment cache's byte budget when COMPILER_SEGMENT_CACHE_BYTES is left at its default (-1):
the smaller of 10 GB and 10 % of the free space where the cache lives, measured at start-up."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

AUTO = -1
CAP_BYTES = 10 * 1000**3
FREE_FRACTION = 0.10


def cache_budget(setting: int, folder: Path) -> int:
    """Bytes for the segment cache: `setting` when given (0 turns the cache off), else the automatic
    budget for `folder`."""
    if setting != AUTO:
        return max(setting, 0)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        return 0
    budget = int(min(CAP_BYTES, free * FREE_FRACTION))
    log.info("segment cache budget %d bytes (10%% of %d free, capped at 10 GB) in %s", budget, free, folder)
    return budget
