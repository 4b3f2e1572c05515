"""The development token: made at start when none is configured, kept in a file only its owner
can read, so `tstudio up` can print it and `tstudio invoke` can find it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEV_TOKEN_FILE = "dev-token"


def ensure_dev_token(data_dir: Path, configured: str = "") -> str:
    """The configured token, else the one in `<data_dir>/dev-token`, else a new one written there."""
    path = data_dir / DEV_TOKEN_FILE
    if configured:
        return configured
    if path.exists():
        existing = path.read_text().strip()
        if existing:
            return existing
    data_dir.mkdir(parents=True, exist_ok=True)
    token = "tsd_" + secrets.token_urlsafe(24)
    # Create with 0600 from the start; never world-readable, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token
