"""Live API-key checks: one cheap authenticated request per provider, with a timeout.

Base URLs are configurable (tests point them at a loopback server; a proxy or a regional endpoint
works the same). The provider's own reason is passed on with the key masked out of it, because
some providers echo the key they rejected.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from tstudio_security.domain.masking import mask
from tstudio_security.domain.model import Validation, ValidationState

log = logging.getLogger(__name__)

DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "deepseek": "https://api.deepseek.com",
    "youtube": "https://www.googleapis.com",
    "vimeo": "https://api.vimeo.com",
    "telegram": "https://api.telegram.org",
    "codecov": "https://api.codecov.io",
}


@dataclass(frozen=True)
class Probe:
    """How to ask one provider: the path (may hold the key, e.g. Telegram), headers, query."""

    path: Callable[[str], str]
    headers: Callable[[str], dict[str, str]] = lambda key: {}
    params: Callable[[str], dict[str, str]] = lambda key: {}


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


PROBES: dict[str, Probe] = {
    "openai": Probe(lambda k: "/v1/models", _bearer),
    "anthropic": Probe(lambda k: "/v1/models", lambda k: {"x-api-key": k, "anthropic-version": "2023-06-01"}),
    "deepseek": Probe(lambda k: "/models", _bearer),
    "youtube": Probe(lambda k: "/youtube/v3/i18nLanguages", params=lambda k: {"part": "snippet", "key": k}),
    "vimeo": Probe(
        lambda k: "/me",
        lambda k: {"Authorization": f"bearer {k}", "Accept": "application/vnd.vimeo.*+json;version=3.4"},
    ),
    "telegram": Probe(lambda k: f"/bot{k}/getMe"),
    "codecov": Probe(lambda k: "/api/v2/github/", _bearer),
}


def provider_reason(body: bytes, key: str) -> str:
    """The provider's own words about a failure, trimmed, with the key masked out."""
    text = ""
    try:
        data: Any = json.loads(body)
        if isinstance(data, dict):
            error = data.get("error")
            if isinstance(error, dict):
                text = str(error.get("message") or error.get("type") or "")
            elif error:
                text = str(error)
            text = text or str(data.get("description") or data.get("message") or data.get("detail") or "")
    except ValueError:
        text = body[:200].decode("utf-8", "replace")
    text = text.replace(key, mask(key)).strip()
    return text[:200]


class HttpApiKeyChecker:
    def __init__(
        self,
        base_urls: Mapping[str, str] | None = None,
        timeout_seconds: float = 10.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_urls = {**DEFAULT_BASE_URLS, **(base_urls or {})}
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = session

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def check(self, provider: str, value: str) -> Validation:
        probe = PROBES[provider]
        url = self.base_urls[provider].rstrip("/") + probe.path(value)
        now = datetime.now(UTC)
        session = await self._client()
        try:
            async with session.get(url, headers=probe.headers(value), params=probe.params(value)) as response:
                body = await response.content.read(64 * 1024)
                status = response.status
        except TimeoutError:
            return Validation(
                ValidationState.UNREACHABLE, f"{provider} did not answer within {self.timeout.total:g}s", now
            )
        except (aiohttp.ClientError, OSError) as exc:
            # The exception text can hold the URL, and Telegram's URL holds the key: name the type only.
            return Validation(
                ValidationState.UNREACHABLE, f"{provider} unreachable ({type(exc).__name__})", now
            )
        except asyncio.CancelledError:
            raise
        reason = provider_reason(body, value)
        if 200 <= status < 300:
            return Validation(ValidationState.VALID, "", now)
        if status == 429:
            # Rate limiting happens after authentication: the key itself was accepted.
            return Validation(ValidationState.VALID, f"rate limited: {reason}".rstrip(": "), now)
        if status in (400, 401, 403, 404):
            return Validation(ValidationState.INVALID, reason or f"HTTP {status}", now)
        return Validation(ValidationState.UNREACHABLE, f"HTTP {status}: {reason}".rstrip(": "), now)
