"""Wall-clock time in UTC, behind the domain's Clock protocol so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
