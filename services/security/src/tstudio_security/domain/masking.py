"""Masked display of secret values (`sk-…abcd`), the only form a value takes outside GetSecret."""

from __future__ import annotations

import re

# A recognisable provider prefix such as "sk-", "sk-ant-", "ghp_" helps a user tell keys apart.
_PREFIX = re.compile(r"^([A-Za-z]{1,4}[-_](?:[A-Za-z]{2,4}[-_])?)")
_MIN_FOR_TAIL = 12


def mask(value: str) -> str:
    """Show at most a short known prefix and the last four characters, and only for long values."""
    if len(value) < _MIN_FOR_TAIL:
        return "…"
    match = _PREFIX.match(value)
    prefix = match.group(1) if match else ""
    return f"{prefix}…{value[-4:]}"
