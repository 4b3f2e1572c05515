"""The on-disk LRU cache: bounded in bytes, least recently used out first, recency kept across
restarts, no half-written entries."""

from __future__ import annotations

from pathlib import Path

from tstudio_media.adapters.disk_cache import DiskCache


def test_evicts_least_recently_used_to_stay_within_bytes(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, max_bytes=300)
    for key in ("a", "b", "c"):
        cache.put(key, key.encode() * 100)
    assert cache.get("a") == b"a" * 100  # a is now the most recent
    cache.put("d", b"d" * 100)
    assert cache.get("b") is None
    assert {k: cache.get(k) is not None for k in ("a", "c", "d")} == {"a": True, "c": True, "d": True}
    assert cache.total_bytes == 300
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) == 300


def test_entry_larger_than_the_cache_is_not_kept(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, max_bytes=10)
    cache.put("big", b"x" * 11)
    assert cache.get("big") is None
    assert len(cache) == 0


def test_restart_keeps_entries_and_their_order(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, max_bytes=300)
    for key in ("a", "b", "c"):
        cache.put(key, b"." * 100)
    cache.get("a")
    (tmp_path / ".tmpleftover").write_bytes(b"partial")
    reopened = DiskCache(tmp_path, max_bytes=300)
    assert len(reopened) == 3
    assert not (tmp_path / ".tmpleftover").exists()
    reopened.put("d", b"." * 100)
    assert reopened.get("b") is None
    assert reopened.get("a") is not None


def test_shrinking_the_bound_evicts_on_start(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, max_bytes=1000)
    for key in ("a", "b", "c"):
        cache.put(key, b"." * 100)
    smaller = DiskCache(tmp_path, max_bytes=150)
    assert len(smaller) == 1
    assert smaller.total_bytes == 100
