from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from svckit.errors import InvalidArgument
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache


def key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def blob(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / f"{name}.mp4"
    path.write_bytes(hashlib.sha256(name.encode()).digest() * (size // 32) + b"x" * (size % 32))
    return path


def test_put_then_get_returns_identical_bytes(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    source = blob(tmp_path, "a", 1000)
    stored = cache.put(key("a"), source)
    assert stored is not None and stored.suffix == ".mp4"
    got = cache.get(key("a"))
    assert got is not None and got.read_bytes() == source.read_bytes()
    assert cache.get(key("b")) is None
    stats = cache.stats()
    assert (stats.entries, stats.bytes, stats.hits, stats.misses) == (1, 1000, 1, 1)


def test_corrupted_entry_is_dropped_and_reported_as_a_miss(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    stored = cache.put(key("a"), blob(tmp_path, "a", 1000))
    assert stored is not None
    data = bytearray(stored.read_bytes())
    data[500] ^= 0xFF  # same size, one flipped byte: only the checksum can tell
    stored.write_bytes(bytes(data))
    assert cache.get(key("a")) is None
    assert not stored.exists()
    stats = cache.stats()
    assert (stats.entries, stats.corrupted, stats.misses) == (0, 1, 1)
    # A fresh put rebuilds it.
    cache.put(key("a"), blob(tmp_path, "a", 1000))
    assert cache.get(key("a")) is not None


def test_truncated_entry_is_never_served_through_fetch(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    stored = cache.put(key("a"), blob(tmp_path, "a", 1000))
    assert stored is not None
    stored.write_bytes(stored.read_bytes()[:10])
    dest = tmp_path / "out" / "seg.mp4"
    assert not cache.fetch(key("a"), dest)
    assert not dest.exists()


def test_least_recently_used_entries_are_evicted_to_the_byte_bound(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=2500)
    for name in "abc":
        cache.put(key(name), blob(tmp_path, name, 1000))
        if name == "b":
            assert cache.get(key("a")) is not None  # a is now more recent than b
    assert cache.get(key("b")) is None
    assert cache.get(key("a")) is not None and cache.get(key("c")) is not None
    stats = cache.stats()
    assert stats.evictions == 1 and stats.bytes == 2000


def test_a_file_larger_than_the_cache_is_not_cached(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=500)
    assert cache.put(key("a"), blob(tmp_path, "a", 1000)) is None
    assert cache.stats().entries == 0


def test_index_and_counters_survive_a_restart(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    cache.put(key("a"), blob(tmp_path, "a", 1000))
    assert cache.get(key("a")) is not None
    reopened = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    assert reopened.get(key("a")) is not None
    assert reopened.stats().hits == 2


def test_reopening_forgets_entries_whose_files_vanished(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    stored = cache.put(key("a"), blob(tmp_path, "a", 1000))
    assert stored is not None
    stored.unlink()
    assert SegmentCache(tmp_path / "cache", max_bytes=10_000).stats().entries == 0


def test_a_garbage_index_starts_empty_instead_of_failing(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    cache.put(key("a"), blob(tmp_path, "a", 1000))
    for leftover in (tmp_path / "cache").glob("index.sqlite*"):
        leftover.unlink()
    (tmp_path / "cache" / "index.sqlite").write_bytes(b"this is not a database" * 100)
    reopened = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    assert reopened.get(key("a")) is None
    reopened.put(key("a"), blob(tmp_path, "a", 1000))
    assert reopened.get(key("a")) is not None


def test_clear_removes_everything(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    for name in "ab":
        cache.put(key(name), blob(tmp_path, name, 100))
    assert cache.clear() == 2
    assert cache.stats().entries == 0 and cache.get(key("a")) is None
    assert not any(p.is_file() for p in (tmp_path / "cache" / "objects").rglob("*"))


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABCDEF0123456789", "abc", ""])
def test_keys_that_are_not_content_keys_are_refused(tmp_path: Path, bad: str) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=10_000)
    with pytest.raises(InvalidArgument):
        cache.get(bad)


def test_concurrent_writers_keep_a_consistent_index(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "cache", max_bytes=1_000_000)
    sources = [blob(tmp_path, f"s{i}", 2000) for i in range(20)]

    def work(offset: int) -> None:
        # A second instance on the same folder stands for another replica sharing the cache.
        mine = cache if offset % 2 else SegmentCache(tmp_path / "cache", max_bytes=1_000_000)
        for i in range(offset, 20, 4):
            mine.put(key(f"s{i}"), sources[i])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.stats().entries == 20
    for i, source in enumerate(sources):
        got = cache.get(key(f"s{i}"))
        assert got is not None and got.read_bytes() == source.read_bytes()
