"""An on-disk cache of results, bounded in bytes, evicting the least recently used entries.

Entries are files named by key; recency is kept in memory and mirrored in the files' mtimes so a
restarted service evicts in the same order. Writes go to a temporary name first, so a reader never
sees half an entry. Blocking: call from a worker thread.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from tstudio_media.domain.diagnostics import DiagnosticItem

log = logging.getLogger(__name__)

_SUFFIX = ".bin"


class DiskCache:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, int] = OrderedDict()
        self._bytes = 0
        self._last_touch = 0
        self.hits = 0
        self.misses = 0
        directory.mkdir(parents=True, exist_ok=True)
        self._load()

    def _load(self) -> None:
        found = []
        for entry in os.scandir(self.directory):
            if entry.name.endswith(_SUFFIX) and entry.is_file():
                stat = entry.stat()
                found.append((stat.st_mtime_ns, entry.name[: -len(_SUFFIX)], stat.st_size))
            elif entry.name.startswith(".tmp"):
                Path(entry.path).unlink(missing_ok=True)  # left by a crash mid-write
        for mtime, key, size in sorted(found):
            self._entries[key] = size
            self._bytes += size
            self._last_touch = max(self._last_touch, mtime)
        self._evict()

    def _touch(self, path: Path) -> None:
        # File clocks are coarse (a tick can cover several writes), so recency is stamped with a
        # strictly increasing time: the order survives a restart exactly.
        with self._lock:
            self._last_touch = max(time.time_ns(), self._last_touch + 1)
            stamp = self._last_touch
        os.utime(path, ns=(stamp, stamp))

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}{_SUFFIX}"

    def get(self, key: str) -> bytes | None:
        with self._lock:
            if key not in self._entries:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
        try:
            data = self._path(key).read_bytes()
            self._touch(self._path(key))
        except FileNotFoundError:
            with self._lock:
                self._forget(key)
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        fd, tmp = tempfile.mkstemp(prefix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            self._touch(Path(tmp))
            os.replace(tmp, self._path(key))
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            log.warning("could not write cache entry %s", key, exc_info=True)
            return
        with self._lock:
            self._forget(key)
            self._entries[key] = len(data)
            self._bytes += len(data)
            self._evict()

    def _forget(self, key: str) -> None:
        size = self._entries.pop(key, None)
        if size is not None:
            self._bytes -= size

    def _evict(self) -> None:
        while self._bytes > self.max_bytes and self._entries:
            key, size = self._entries.popitem(last=False)
            self._bytes -= size
            self._path(key).unlink(missing_ok=True)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def diagnostics(self) -> list[DiagnosticItem]:
        return [
            DiagnosticItem("cache.bytes", str(self._bytes)),
            DiagnosticItem("cache.max_bytes", str(self.max_bytes)),
            DiagnosticItem("cache.entries", str(len(self._entries))),
            DiagnosticItem("cache.hits", str(self.hits)),
            DiagnosticItem("cache.misses", str(self.misses)),
        ]
