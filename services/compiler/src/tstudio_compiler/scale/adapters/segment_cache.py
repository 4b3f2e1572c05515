"""On-disk cache of encoded segments, keyed by content key, bounded in bytes (least recently used
entries go first).

Layout under `root`: `objects/<k[:2]>/<key><ext>` and `index.json` (entries, sizes, checksums, last
use, counters). Every write is temp + fsync + rename, so a crash leaves either the old or the new
file; the index survives restarts. Every read re-hashes the entry: a corrupted entry is dropped and
reported as a miss, never served. Several processes may share one cache: index updates hold an
exclusive `flock`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument

from tstudio_compiler.scale.adapters.atomic_files import atomic_write_bytes, fsync_dir
from tstudio_compiler.scale.domain.lru import EntryUse, choose_evictions

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[0-9a-f]{16,128}$")
_EXT = re.compile(r"^\.[0-9a-z]{1,8}$")
_CHUNK = 1024 * 1024
# Files in objects/ that no index entry names are removed at open once they are this old (younger
# ones may be a put of another process between its rename and its index update).
_ORPHAN_AGE_SECONDS = 3600.0


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int
    evictions: int
    corrupted: int


def _checksum_file(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=32)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_hashing(source: Path, target: Path) -> tuple[int, str]:
    """Copy `source` to `target` (fsynced), returning size and checksum of what was written."""
    digest = hashlib.blake2b(digest_size=32)
    size = 0
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return size, digest.hexdigest()


class SegmentCache:
    """Thread- and process-safe LRU cache of segment files, bounded to `max_bytes`."""

    def __init__(self, root: str | Path, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise InvalidArgument(
                "cache size must be positive", field_violations=[FieldViolation("max_bytes", "must be > 0")]
            )
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._objects = self.root / "objects"
        self._index_path = self.root / "index.json"
        self._thread_lock = threading.Lock()
        self._objects.mkdir(parents=True, exist_ok=True)
        self._reconcile()

    # -- public API ------------------------------------------------------------------------------

    def get(self, key: str) -> Path | None:
        """The verified file of `key`, or None (a miss). The path stays valid until the entry is
        evicted; use `fetch` to take a copy that cannot vanish."""
        return self._lookup(key, dest=None)

    def fetch(self, key: str, dest: str | Path) -> bool:
        """Place the verified entry at `dest` (hard link when possible, else copy); False on a miss."""
        return self._lookup(key, dest=Path(dest)) is not None

    def contains(self, key: str) -> bool:
        """Whether an entry is indexed (not verified, counts nothing)."""
        _check_key(key)
        with self._locked() as index:
            return key in index["entries"]

    def put(self, key: str, source: str | Path) -> Path | None:
        """Store a copy of `source` under `key` and return its cache path; None when the file alone
        is larger than the whole cache. An existing entry is replaced."""
        _check_key(key)
        source = Path(source)
        ext = source.suffix.lower() if _EXT.match(source.suffix.lower()) else ""
        if source.stat().st_size > self.max_bytes:
            log.info(
                "segment %s (%d bytes) exceeds the cache size; not cached", key[:12], source.stat().st_size
            )
            return None
        folder = self._objects / key[:2]
        folder.mkdir(exist_ok=True)
        target = folder / f"{key}{ext}"
        tmp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            size, checksum = _copy_hashing(source, tmp)
            os.replace(tmp, target)
            fsync_dir(folder)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        with self._locked(write=True) as index:
            old = index["entries"].get(key)
            if old and old["file"] != target.relative_to(self.root).as_posix():
                (self.root / old["file"]).unlink(missing_ok=True)
            index["entries"][key] = {
                "file": target.relative_to(self.root).as_posix(),
                "size": size,
                "checksum": checksum,
                "last_used": time.time(),
            }
            self._evict(index, protect={key})
            if key not in index["entries"]:
                return None
        return target

    def stats(self) -> CacheStats:
        with self._locked() as index:
            entries = index["entries"]
            counters = index["stats"]
            return CacheStats(
                entries=len(entries),
                bytes=sum(int(e["size"]) for e in entries.values()),
                max_bytes=self.max_bytes,
                hits=counters["hits"],
                misses=counters["misses"],
                evictions=counters["evictions"],
                corrupted=counters["corrupted"],
            )

    def clear(self) -> int:
        """Remove every entry (counters kept); returns how many were removed."""
        with self._locked(write=True) as index:
            removed = len(index["entries"])
            for entry in index["entries"].values():
                (self.root / entry["file"]).unlink(missing_ok=True)
            index["entries"] = {}
        return removed

    # -- internals -------------------------------------------------------------------------------

    def _lookup(self, key: str, dest: Path | None) -> Path | None:
        _check_key(key)
        # A lookup only moves use times and counters: losing that to a crash is harmless, so the
        # index is replaced atomically but not fsynced (an fsync per hit cost more than the read).
        with self._locked(write=True, durable=False) as index:
            entry = index["entries"].get(key)
            if entry is None:
                index["stats"]["misses"] += 1
                return None
            path = self.root / entry["file"]
            # Verify under the lock so no eviction or replacement races the read. A hard link taken
            # before the check cannot be swapped underneath us afterwards.
            candidate = path
            if dest is not None:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.unlink(missing_ok=True)
                try:
                    os.link(path, dest)
                    candidate = dest
                except FileNotFoundError:
                    pass  # the check below reports the file missing
                except OSError:  # another file system: copy instead
                    shutil.copyfile(path, dest)
                    candidate = dest
            problem = self._verify(candidate, entry)
            if problem:
                log.warning("segment cache entry %s is corrupted (%s); dropped", key[:12], problem)
                path.unlink(missing_ok=True)
                if dest is not None:
                    dest.unlink(missing_ok=True)
                del index["entries"][key]
                index["stats"]["corrupted"] += 1
                index["stats"]["misses"] += 1
                return None
            entry["last_used"] = time.time()
            index["stats"]["hits"] += 1
            return candidate

    @staticmethod
    def _verify(path: Path, entry: dict[str, Any]) -> str:
        try:
            if path.stat().st_size != entry["size"]:
                return "size differs"
            if _checksum_file(path) != entry["checksum"]:
                return "checksum differs"
        except FileNotFoundError:
            return "file missing"
        return ""

    def _evict(self, index: dict[str, Any], protect: set[str]) -> None:
        entries = index["entries"]
        uses = {key: EntryUse(int(e["size"]), float(e["last_used"])) for key, e in entries.items()}
        for key in choose_evictions(uses, self.max_bytes, protect):
            (self.root / entries.pop(key)["file"]).unlink(missing_ok=True)
            index["stats"]["evictions"] += 1

    def _reconcile(self) -> None:
        """At open: forget entries whose file is gone, remove stale orphan files and temps."""
        with self._locked(write=True) as index:
            known = set()
            for key, entry in list(index["entries"].items()):
                path = self.root / entry["file"]
                if not path.is_file() or path.stat().st_size != entry["size"]:
                    log.warning("segment cache entry %s lost its file; forgotten", key[:12])
                    del index["entries"][key]
                else:
                    known.add(path)
            cutoff = time.time() - _ORPHAN_AGE_SECONDS
            for path in self._objects.rglob("*"):
                if path.is_file() and path not in known and path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            self._evict(index, protect=set())

    @contextlib.contextmanager
    def _locked(self, write: bool = False, durable: bool = True) -> Iterator[dict[str, Any]]:
        with self._thread_lock, (self.root / ".lock").open("a+") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                index = self._load_index()
                before = json.dumps(index, sort_keys=True) if write else ""
                yield index
                if write and json.dumps(index, sort_keys=True) != before:
                    atomic_write_bytes(self._index_path, json.dumps(index, sort_keys=True).encode(), durable)
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _load_index(self) -> dict[str, Any]:
        empty: dict[str, Any] = {
            "version": 1,
            "entries": {},
            "stats": {"hits": 0, "misses": 0, "evictions": 0, "corrupted": 0},
        }
        try:
            index = json.loads(self._index_path.read_bytes())
            if index.get("version") != 1 or not isinstance(index.get("entries"), dict):
                raise ValueError("unknown index format")
            for name in empty["stats"]:
                index.setdefault("stats", {}).setdefault(name, 0)
            return index
        except FileNotFoundError:
            return empty
        except (OSError, ValueError) as exc:
            log.warning("segment cache index unreadable (%s); starting empty", exc)
            return empty


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise InvalidArgument(
            "segment cache key must be 16-128 lowercase hex characters",
            field_violations=[FieldViolation("key", "not a content key")],
        )
