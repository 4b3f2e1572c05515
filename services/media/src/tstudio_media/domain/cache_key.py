"""Cache keys: a result is reused only for the same file content identity and the same request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FileIdentity:
    """What tells one version of a file from another without reading it. A rewrite changes the
    mtime or size; a replacement by rename changes the inode."""

    path: str
    size: int
    mtime_ns: int
    inode: int = 0


# Bumped when what the service computes for the same file and request changes, so results cached
# on disk by an older version are not served (2: source description in probes; upright, in-range,
# alpha-keeping, deinterlaced pictures; waveforms on the container's timeline; upright proxies).
RESULTS_VERSION = 2


def cache_key(kind: str, identity: FileIdentity, request: bytes) -> str:
    digest = hashlib.sha256(f"v{RESULTS_VERSION}\0".encode())
    for part in (kind, identity.path, str(identity.size), str(identity.mtime_ns), str(identity.inode)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request)
    return digest.hexdigest()
