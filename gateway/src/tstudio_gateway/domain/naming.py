"""Command names: RPC names in snake_case, and the near names offered for a typo."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from svckit.did_you_mean import near

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Words spelled with inner capitals that are still one word: `StartOAuth` -> `start_oauth`.
_ONE_WORD = {"OAuth": "Oauth"}
# Names longer than this get no near names (callers refuse them before, with their own limit).
MAX_MATCHED_CHARS = 128


def snake_case(name: str) -> str:
    """`GetRenderCacheInfo` -> `get_render_cache_info`; `StartOAuth` -> `start_oauth`."""
    for word, plain in _ONE_WORD.items():
        name = name.replace(word, plain)
    return _BOUNDARY.sub("_", name).lower()


def near_names(name: str, known: Iterable[str], limit: int = 5) -> list[str]:
    """Known names that look like `name`, best first; the qualified part is compared too, so
    `media.prob` suggests `media.probe` and `prob` suggests `probe`."""
    if len(name) > MAX_MATCHED_CHARS:
        # difflib's cost grows with the product of the lengths: 0.45 s for 8000 characters.
        return []
    candidates = sorted(set(known))
    close = near(name, candidates, limit, max_length=MAX_MATCHED_CHARS)
    if len(close) < limit:
        # A bare name also matches the qualified forms whose last part looks like it.
        bare = name.rsplit(".", 1)[-1]
        for candidate in candidates:
            last = candidate.rsplit(".", 1)[-1]
            if candidate not in close and (
                bare == last or difflib.SequenceMatcher(None, bare, last).ratio() >= 0.75
            ):
                close.append(candidate)
            if len(close) >= limit:
                break
    return close
