"""A project's record of what its sources looked like while they existed, so a moved or renamed
file can be recognised by content later. One JSON file, written atomically."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from tstudio_compiler.scale.adapters.atomic_files import atomic_write_bytes
from tstudio_compiler.scale.adapters.fingerprint import fingerprint_file, media_duration
from tstudio_compiler.scale.domain.relink import KnownMedia

log = logging.getLogger(__name__)

LEDGER_NAME = ".tstudio-media.json"


def ledger_path_for(base_dir: Path) -> Path:
    """The ledger in a project's folder (its base_dir, where the project file lives)."""
    return base_dir / LEDGER_NAME


class FingerprintLedger:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, KnownMedia]:
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable fingerprint ledger %s: %s", self.path, exc)
            return {}
        return {
            path: KnownMedia(
                size=item.get("size"), sample_hash=item.get("sample_hash"), duration=item.get("duration")
            )
            for path, item in raw.items()
        }

    def record(self, paths: Iterable[str]) -> dict[str, KnownMedia]:
        """Fingerprint the existing files among `paths` (absolute) and merge them into the ledger."""
        entries = self.load()
        for path in paths:
            if not os.path.isfile(path):
                continue
            fingerprint = fingerprint_file(path)
            entries[path] = KnownMedia(
                size=fingerprint.size, sample_hash=fingerprint.sample_hash, duration=media_duration(path)
            )
        raw = {
            path: {"size": k.size, "sample_hash": k.sample_hash, "duration": k.duration}
            for path, k in sorted(entries.items())
        }
        atomic_write_bytes(self.path, json.dumps(raw, indent=1).encode())
        return entries
