"""Near names for a misspelt one (`blurr` -> `blur`), bounded so hostile input costs nothing."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Names longer than this get no suggestion: difflib is quadratic in the length.
MAX_NAME_LENGTH = 64


def near(name: str, known: Iterable[str], limit: int = 3, max_length: int = MAX_NAME_LENGTH) -> list[str]:
    """Known names that look like `name`, best first (case-insensitive); none for names longer
    than `max_length`."""
    if not name or len(name) > max_length:
        return []
    by_lower: dict[str, str] = {}
    for candidate in known:
        if len(candidate) <= max_length:
            by_lower.setdefault(candidate.lower(), candidate)
    close = difflib.get_close_matches(name.lower(), sorted(by_lower), n=limit, cutoff=0.6)
    return [by_lower[c] for c in close]


def suggestion(name: str, known: Iterable[str]) -> str:
    """ "; did you mean 'blur'?" (the nearest known name), or "" when nothing is near."""
    close = near(name, known, limit=1)
    return f"; did you mean {close[0]!r}?" if close else ""
