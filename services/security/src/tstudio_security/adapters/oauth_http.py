"""The token endpoint over HTTP (RFC 6749 §4.1.3 and §6), client secret sent in the form body."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from svckit.errors import FailedPrecondition, PermissionDenied, Unavailable

from tstudio_security.domain.oauth import OAuthProvider

log = logging.getLogger(__name__)


class HttpTokenEndpoint:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def exchange_code(
        self, provider: OAuthProvider, code: str, code_verifier: str, redirect_uri: str
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return await self._post(provider, form, refreshing=False)

    async def refresh(self, provider: OAuthProvider, refresh_token: str) -> dict[str, Any]:
        return await self._post(
            provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}, refreshing=True
        )

    async def _post(self, provider: OAuthProvider, form: dict[str, str], refreshing: bool) -> dict[str, Any]:
        form = {**form, provider.client_id_param: provider.client_id}
        if provider.client_secret:
            form["client_secret"] = provider.client_secret
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(
                provider.token_url, data=form, headers={"Accept": "application/json"}
            ) as response:
                status = response.status
                raw = await response.content.read(256 * 1024)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise Unavailable(
                f"the {provider.name} token endpoint is unreachable ({type(exc).__name__})",
                reason="OAUTH_UNREACHABLE",
            ) from None
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        if status == 200 and isinstance(body, dict):
            return body
        error = str(body.get("error", f"HTTP {status}")) if isinstance(body, dict) else f"HTTP {status}"
        description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
        message = f"{provider.name} refused the {'refresh' if refreshing else 'code exchange'}: {error} {description}".strip()
        log.warning("%s", message)
        if status >= 500:
            raise Unavailable(message[:300], reason="OAUTH_UNREACHABLE")
        if refreshing:
            raise FailedPrecondition(message[:300] + "; authorize again", reason="OAUTH_REAUTHORIZE")
        raise PermissionDenied(message[:300], reason="OAUTH_INVALID_GRANT")
