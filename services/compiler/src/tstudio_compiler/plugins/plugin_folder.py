"""Installed plugins on disk: `<root>/<id>/plugin.toml` plus the module file beside it.

Installs and removals are atomic: a plugin is written in full under a hidden temporary name and
renamed into place, so a crash never leaves a half-written plugin that would load at start-up.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tstudio_compiler.plugins.manifest import MANIFEST_NAME

log = logging.getLogger(__name__)

_HIDDEN = "."


class PluginFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._sweep()

    def entries(self) -> Iterator[Path]:
        """Folders that look like installed plugins (hidden temporaries skipped)."""
        for child in sorted(self.root.iterdir()):
            if child.is_dir() and not child.name.startswith(_HIDDEN) and (child / MANIFEST_NAME).is_file():
                yield child

    def write(self, plugin_id: str, manifest_text: str, module_name: str, module_bytes: bytes) -> Path:
        """Write (or replace) a plugin atomically; returns its folder."""
        staging = Path(tempfile.mkdtemp(prefix=f"{_HIDDEN}tmp-{plugin_id}-", dir=self.root))
        try:
            _write_synced(staging / MANIFEST_NAME, manifest_text.encode("utf-8"))
            _write_synced(staging / module_name, module_bytes)
            final = self.root / plugin_id
            if final.exists():
                retired = Path(tempfile.mkdtemp(prefix=f"{_HIDDEN}old-{plugin_id}-", dir=self.root))
                os.replace(final, retired / "plugin")
                os.replace(staging, final)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(staging, final)
            _sync_dir(self.root)
            return final
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def delete(self, plugin_id: str) -> None:
        final = self.root / plugin_id
        if not final.exists():
            return
        retired = Path(tempfile.mkdtemp(prefix=f"{_HIDDEN}old-{plugin_id}-", dir=self.root))
        os.replace(final, retired / "plugin")
        _sync_dir(self.root)
        shutil.rmtree(retired, ignore_errors=True)

    def _sweep(self) -> None:
        for child in self.root.iterdir():
            if child.name.startswith((f"{_HIDDEN}tmp-", f"{_HIDDEN}old-")):
                log.info("removing leftover plugin staging folder %s", child)
                shutil.rmtree(child, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
