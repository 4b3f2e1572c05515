"""Fingerprints of media files: size, mtime and a hash of sampled bytes (cheap on huge files), and
the duration PyAV reads from the container."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from svckit.errors import NotFound, Resource, ServiceError
from svckit.safe_open import open_regular

from tstudio_compiler.scale.domain.segment_keys import SourceFingerprint

log = logging.getLogger(__name__)

SAMPLE_BYTES = 64 * 1024
# Samples at the start, middle and end: headers, payload and index (moov at the end) all count.
SAMPLE_POSITIONS = (0.0, 0.5, 1.0)


def sample_hash(path: Path, size: int | None = None) -> str:
    """Hex blake2b of the file size and three 64 KiB samples; reads at most 192 KiB. Regular files
    only (svckit.safe_open): a FIFO swapped in would block the read for good."""
    with open_regular(path, ()) as opened:
        return _sample_hash(opened.fd, opened.size if size is None else size)


def _sample_hash(fd: int, size: int) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(size.to_bytes(8, "little"))
    for position in SAMPLE_POSITIONS:
        offset = max(0, min(size - SAMPLE_BYTES, int(size * position) - SAMPLE_BYTES // 2))
        digest.update(os.pread(fd, SAMPLE_BYTES, offset))
    return digest.hexdigest()


def fingerprint_file(path: str | Path) -> SourceFingerprint:
    """Fingerprint of an existing regular file, read through one descriptor; NotFound when it is gone."""
    path = Path(path)
    try:
        with open_regular(path, ()) as opened:
            stat = os.fstat(opened.fd)
            return SourceFingerprint(
                size=stat.st_size,
                mtime_ns=stat.st_mtime_ns,
                sample_hash=_sample_hash(opened.fd, stat.st_size),
            )
    except NotFound as exc:
        raise NotFound(f"source file not found: {path}", resources=[Resource("file", str(path))]) from exc


def media_duration(path: str | Path) -> float | None:
    """Duration in seconds as PyAV reads it, or None when the file is not readable media."""
    import av

    try:
        with open_regular(path, ()) as opened, av.open(opened.proc_path) as container:
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            durations = [
                float(stream.duration * stream.time_base)
                for stream in container.streams
                if stream.duration is not None and stream.time_base is not None
            ]
            return max(durations) if durations else None
    except (av.error.FFmpegError, OSError, ValueError, ServiceError) as exc:
        log.debug("not readable as media: %s (%s)", path, exc)
        return None
