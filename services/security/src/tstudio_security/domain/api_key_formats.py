"""Per-provider shape of an API key, checked before any network call."""

from __future__ import annotations

import re

from svckit.errors import FieldViolation, InvalidArgument

_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "openai": (re.compile(r"^sk-[A-Za-z0-9_-]{20,}$"), "starts with 'sk-' followed by 20+ letters/digits"),
    "anthropic": (re.compile(r"^sk-ant-[A-Za-z0-9_-]{20,}$"), "starts with 'sk-ant-'"),
    "deepseek": (re.compile(r"^sk-[A-Za-z0-9]{20,}$"), "starts with 'sk-' followed by 20+ letters/digits"),
    "youtube": (re.compile(r"^AIza[0-9A-Za-z_-]{35}$"), "a Google API key: 'AIza' and 35 characters"),
    "vimeo": (re.compile(r"^[0-9a-f]{32}$"), "a 32-character hexadecimal access token"),
    "telegram": (
        re.compile(r"^[0-9]{5,12}:[A-Za-z0-9_-]{30,}$"),
        "'<bot id>:<secret>' as BotFather gives it",
    ),
    "codecov": (
        re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        "a UUID such as 0b1c2d3e-....",
    ),
}

PROVIDERS = tuple(sorted(_FORMATS))


def check_provider(provider: str, field: str = "provider") -> str:
    if provider not in _FORMATS:
        raise InvalidArgument(
            f"unknown API-key provider {provider[:40]!r}",
            field_violations=[FieldViolation(field, f"one of {', '.join(PROVIDERS)}")],
        )
    return provider


def format_problem(provider: str, value: str) -> str | None:
    """Why `value` cannot be a key of `provider`, or None when its shape is right. Never echoes it."""
    pattern, expected = _FORMATS[check_provider(provider)]
    if value != value.strip():
        return "has leading or trailing whitespace"
    if not pattern.match(value):
        return f"does not look like a {provider} key: expected {expected}"
    return None
