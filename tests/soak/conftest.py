"""`soak` is a top-level package run as `python -m soak` from the repository root; pytest's
importlib mode does not put that root on sys.path, so the unit tests here do."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[2])
if REPO not in sys.path:
    # Last, so nothing installed is shadowed by a folder of the repository root.
    sys.path.append(REPO)
