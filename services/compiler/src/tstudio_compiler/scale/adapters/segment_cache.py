"""On-disk cache of encoded segments, keyed by content key, bounded in bytes (least recently used
entries go first).

Layout under `root`: `objects/<k[:2]>/<key>-<nonce><ext>` and `index.sqlite` (entries, sizes,
checksums, last use, counters; WAL mode). Segment files are written temp + fsync + rename, and the
index is SQLite, so a crash leaves either the old or the new state and the cache survives restarts.
Every read re-hashes the entry: a corrupted entry is dropped and reported as a miss, never served.
Several processes and threads may use one cache at once. Keep `root` on a local file system (a
node-local volume): SQLite's WAL locking is not safe on NFS.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from svckit.errors import FieldViolation, InvalidArgument

from tstudio_compiler.scale.adapters.atomic_files import fsync_dir
from tstudio_compiler.scale.domain.lru import EntryUse, choose_evictions

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[0-9a-f]{16,128}$")
_EXT = re.compile(r"^\.[0-9a-z]{1,8}$")
_CHUNK = 1024 * 1024
# Files in objects/ that no entry names are removed at open once they are this old (younger ones may
# be a put of another process between its rename and its index update).
_ORPHAN_AGE_SECONDS = 3600.0
_COUNTERS = ("hits", "misses", "evictions", "corrupted")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, file TEXT NOT NULL, size INTEGER NOT NULL, checksum TEXT NOT NULL,
    last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_use ON entries(last_used);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


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
    """Thread- and process-safe LRU cache of segment files, bounded to `max_bytes`. Blocking."""

    def __init__(self, root: str | Path, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise InvalidArgument(
                "cache size must be positive", field_violations=[FieldViolation("max_bytes", "must be > 0")]
            )
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._objects = self.root / "objects"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
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
        row = self._db().execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone()
        return row is not None

    def put(self, key: str, source: str | Path) -> Path | None:
        """Store a copy of `source` under `key` and return its cache path; None when the file alone
        is larger than the whole cache. An existing entry is replaced."""
        _check_key(key)
        source = Path(source)
        size = source.stat().st_size
        if size > self.max_bytes:
            log.info("segment %s (%d bytes) exceeds the cache size; not cached", key[:12], size)
            return None
        ext = source.suffix.lower() if _EXT.match(source.suffix.lower()) else ""
        folder = self._objects / key[:2]
        folder.mkdir(exist_ok=True)
        # A fresh name per write: replacing or evicting an entry never touches another's file.
        target = folder / f"{key}-{uuid.uuid4().hex[:12]}{ext}"
        tmp = folder / f".{target.name}.tmp"
        try:
            size, checksum = _copy_hashing(source, tmp)
            os.replace(tmp, target)
            fsync_dir(folder)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        relative = target.relative_to(self.root).as_posix()
        doomed: list[str] = []
        with self._write() as db:
            old = db.execute("SELECT file FROM entries WHERE key = ?", (key,)).fetchone()
            if old:
                doomed.append(old[0])
            db.execute(
                "INSERT OR REPLACE INTO entries (key, file, size, checksum, last_used) VALUES (?, ?, ?, ?, ?)",
                (key, relative, size, checksum, time.time()),
            )
            doomed += self._evict(db, protect=key)
        self._unlink(doomed)
        return target

    def stats(self) -> CacheStats:
        db = self._db()
        entries, total = db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries").fetchone()
        counters = dict(db.execute("SELECT name, value FROM counters").fetchall())
        return CacheStats(
            entries=int(entries),
            bytes=int(total),
            max_bytes=self.max_bytes,
            **{name: int(counters.get(name, 0)) for name in _COUNTERS},
        )

    def clear(self) -> int:
        """Remove every entry (counters kept); returns how many were removed."""
        with self._write() as db:
            files = [row[0] for row in db.execute("SELECT file FROM entries")]
            db.execute("DELETE FROM entries")
        self._unlink(files)
        return len(files)

    # -- internals -------------------------------------------------------------------------------

    def _lookup(self, key: str, dest: Path | None) -> Path | None:
        _check_key(key)
        row = self._db().execute("SELECT file, size, checksum FROM entries WHERE key = ?", (key,)).fetchone()
        if row is None:
            self._count("misses")
            return None
        file, size, checksum = row
        path = self.root / file
        candidate = path
        if dest is not None:
            # Link first, verify the link: an eviction after this cannot take the bytes away.
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.unlink(missing_ok=True)
            try:
                os.link(path, dest)
                candidate = dest
            except FileNotFoundError:
                pass  # the check below reports the file missing
            except OSError:  # another file system: copy instead
                with contextlib.suppress(FileNotFoundError):
                    shutil.copyfile(path, dest)
                    candidate = dest
        problem = _verify(candidate, size, checksum)
        if problem:
            if dest is not None:
                dest.unlink(missing_ok=True)
            self._drop_corrupted(key, file, problem)
            return None
        with self._write() as db:
            db.execute("UPDATE entries SET last_used = ? WHERE key = ?", (time.time(), key))
            _bump(db, "hits")
        return candidate

    def _drop_corrupted(self, key: str, file: str, problem: str) -> None:
        log.warning("segment cache entry %s is corrupted (%s); dropped", key[:12], problem)
        with self._write() as db:
            # Only the entry that was checked: a concurrent put may have replaced it already.
            dropped = db.execute("DELETE FROM entries WHERE key = ? AND file = ?", (key, file)).rowcount
            _bump(db, "corrupted")
            _bump(db, "misses")
        if dropped:
            self._unlink([file])

    def _evict(self, db: sqlite3.Connection, protect: str) -> list[str]:
        total = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()[0]
        if total <= self.max_bytes:
            return []
        rows = db.execute("SELECT key, file, size, last_used FROM entries").fetchall()
        uses = {key: EntryUse(int(size), float(last_used)) for key, _, size, last_used in rows}
        files = {key: file for key, file, _, _ in rows}
        chosen = choose_evictions(uses, self.max_bytes, protect={protect})
        for key in chosen:
            db.execute("DELETE FROM entries WHERE key = ?", (key,))
            _bump(db, "evictions")
        return [files[key] for key in chosen]

    def _reconcile(self) -> None:
        """At open: forget entries whose file is gone, remove stale orphan files and temps."""
        with self._write() as db:
            known = set()
            for key, file, size in db.execute("SELECT key, file, size FROM entries").fetchall():
                path = self.root / file
                if not path.is_file() or path.stat().st_size != size:
                    log.warning("segment cache entry %s lost its file; forgotten", key[:12])
                    db.execute("DELETE FROM entries WHERE key = ?", (key,))
                else:
                    known.add(path)
            doomed = self._evict(db, protect="")
        self._unlink(doomed)
        cutoff = time.time() - _ORPHAN_AGE_SECONDS
        for path in self._objects.rglob("*"):
            if path.is_file() and path not in known and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)

    def _unlink(self, files: list[str]) -> None:
        for file in files:
            (self.root / file).unlink(missing_ok=True)

    def _count(self, name: str) -> None:
        with self._write() as db:
            _bump(db, name)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = self._open_index()
            except sqlite3.DatabaseError as exc:
                # An index that is not a database (a disk fault, a stray write) costs the cached
                # segments, never the service: set it aside and start empty.
                index = self.root / "index.sqlite"
                aside = index.with_name(f"index.sqlite.corrupt-{int(time.time())}")
                log.warning(
                    "segment cache index unreadable (%s); moved to %s, starting empty", exc, aside.name
                )
                index.replace(aside)
                for suffix in ("-wal", "-shm"):
                    index.with_name(index.name + suffix).unlink(missing_ok=True)
                db = self._open_index()
            self._local.db = db
        return db

    def _open_index(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "index.sqlite", timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a power cut may lose the last commits, never corrupt the index.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _bump(db: sqlite3.Connection, name: str) -> None:
    db.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1",
        (name,),
    )


def _verify(path: Path, size: int, checksum: str) -> str:
    try:
        if path.stat().st_size != size:
            return "size differs"
        if _checksum_file(path) != checksum:
            return "checksum differs"
    except FileNotFoundError:
        return "file missing"
    return ""


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise InvalidArgument(
            "segment cache key must be 16-128 lowercase hex characters",
            field_violations=[FieldViolation("key", "not a content key")],
        )
