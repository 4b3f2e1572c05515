"""Which environment variables hold which credentials, as the original app read them from `.env`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tstudio_security.domain.model import SecretKind


@dataclass(frozen=True)
class EnvSecret:
    variable: str
    name: str
    provider: str
    kind: SecretKind


def _api_key(variable: str, provider: str) -> EnvSecret:
    return EnvSecret(variable, variable.lower().replace("_", "-"), provider, SecretKind.API_KEY)


def _generic(variable: str, provider: str) -> EnvSecret:
    return EnvSecret(variable, variable.lower().replace("_", "-"), provider, SecretKind.GENERIC)


KNOWN: tuple[EnvSecret, ...] = (
    _api_key("OPENAI_API_KEY", "openai"),
    _api_key("ANTHROPIC_API_KEY", "anthropic"),
    _api_key("CLAUDE_API_KEY", "anthropic"),
    _api_key("DEEPSEEK_API_KEY", "deepseek"),
    _api_key("YOUTUBE_API_KEY", "youtube"),
    _generic("YOUTUBE_CLIENT_ID", "youtube"),
    _generic("YOUTUBE_CLIENT_SECRET", "youtube"),
    _generic("TIKTOK_CLIENT_KEY", "tiktok"),
    _generic("TIKTOK_CLIENT_SECRET", "tiktok"),
    _api_key("VIMEO_ACCESS_TOKEN", "vimeo"),
    _generic("VIMEO_CLIENT_ID", "vimeo"),
    _generic("VIMEO_CLIENT_SECRET", "vimeo"),
    _api_key("TELEGRAM_BOT_TOKEN", "telegram"),
    _api_key("CODECOV_TOKEN", "codecov"),
)
_BY_VARIABLE = {entry.variable: entry for entry in KNOWN}


def recognised(variables: Mapping[str, str]) -> tuple[list[tuple[EnvSecret, str]], list[str]]:
    """The known, non-empty credentials in `variables`, and the names of the ones ignored."""
    found, ignored = [], []
    for variable, value in sorted(variables.items()):
        entry = _BY_VARIABLE.get(variable)
        if entry is None or not value.strip():
            ignored.append(variable)
        else:
            found.append((entry, value.strip()))
    return found, ignored
