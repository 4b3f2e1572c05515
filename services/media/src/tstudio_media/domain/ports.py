"""The outside things the media domain needs, as small protocols (PyAV adapters implement them;
unit tests may pass fakes)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from tstudio_media.domain.diagnostics import DiagnosticItem
from tstudio_media.domain.media_info import MediaInfo


class Prober(Protocol):
    def probe(self, path: Path) -> MediaInfo:
        """Metadata of the file at `path`; blocking."""
        ...


class DiagnosticsSource(Protocol):
    def items(self) -> list[DiagnosticItem]:
        """Facts about this replica and its dependencies."""
        ...
