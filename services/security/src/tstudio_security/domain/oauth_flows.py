"""OAuth use cases: start (URL with PKCE and state), complete (exchange, store), refresh (before expiry)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, ServiceError

from tstudio_security.domain.model import Secret, SecretKind, SecretRecord
from tstudio_security.domain.names import check_name
from tstudio_security.domain.oauth import (
    STATE_TTL,
    AuthorizationStart,
    OAuthProvider,
    PendingAuthorization,
    PendingAuthorizations,
    TokenEndpoint,
    TokenSet,
    authorization_url,
    check_redirect_uri,
    pkce_pair,
    token_set_from_response,
)
from tstudio_security.domain.secrets_service import SecretsService

log = logging.getLogger(__name__)


class OAuthFlows:
    def __init__(
        self,
        secrets_service: SecretsService,
        providers: dict[str, OAuthProvider],
        endpoint: TokenEndpoint,
        refresh_margin: timedelta = timedelta(seconds=120),
    ) -> None:
        self.secrets = secrets_service
        self.providers = providers
        self.endpoint = endpoint
        self.refresh_margin = refresh_margin
        self.pending = PendingAuthorizations()
        self._refresh_locks: dict[str, asyncio.Lock] = {}

    def _provider(self, name: str) -> OAuthProvider:
        provider = self.providers.get(name)
        if provider is None:
            raise InvalidArgument(
                f"OAuth provider {name[:40]!r} is not configured",
                reason="OAUTH_PROVIDER_UNKNOWN",
                field_violations=[
                    FieldViolation(
                        "provider", f"one of: {', '.join(sorted(self.providers)) or 'none configured'}"
                    )
                ],
            )
        return provider

    def start(
        self, provider_name: str, redirect_uri: str, scopes: tuple[str, ...], secret_name: str = ""
    ) -> AuthorizationStart:
        provider = self._provider(provider_name)
        check_redirect_uri(redirect_uri)
        name = check_name(secret_name or f"{provider.name}-oauth", "secret_name")
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(32)
        now = self.secrets.clock.now()
        expires = now + STATE_TTL
        self.pending.add(
            state, PendingAuthorization(provider.name, verifier, redirect_uri, name, expires), now
        )
        url = authorization_url(provider, redirect_uri, scopes or provider.default_scopes, state, challenge)
        log.info("started OAuth for %s", provider.name)
        return AuthorizationStart(url=url, state=state, expires_at=expires)

    async def complete(self, state: str, code: str, caller: str = "") -> SecretRecord:
        if not code:
            raise InvalidArgument(
                "an authorization code is required", field_violations=[FieldViolation("code", "required")]
            )
        pending = self.pending.take(state, self.secrets.clock.now())
        provider = self._provider(pending.provider)
        body = await self.endpoint.exchange_code(provider, code, pending.code_verifier, pending.redirect_uri)
        tokens = token_set_from_response(provider.name, body, self.secrets.clock.now())
        log.info("completed OAuth for %s into secret %s", provider.name, pending.secret_name)
        return await self.secrets.put(
            pending.secret_name, SecretKind.OAUTH_TOKEN, provider.name, tokens.to_value(), {}, caller
        )

    async def refresh(self, name: str, force: bool = True) -> Secret:
        """Refresh the token set stored as `name` (when `force`, or when it is about to expire)."""
        lock = self._refresh_locks.setdefault(name, asyncio.Lock())
        async with lock:
            # Read again under the lock: a concurrent caller may have refreshed already.
            secret = await self.secrets.runner.run(self.secrets.vault.get, check_name(name))
            if secret.record.kind is not SecretKind.OAUTH_TOKEN:
                raise FailedPrecondition(
                    f"secret {name!r} is not an OAuth token set", reason="NOT_OAUTH_TOKEN"
                )
            tokens = TokenSet.from_value(secret.value)
            if not force and not tokens.due_for_refresh(self.secrets.clock.now(), self.refresh_margin):
                return secret
            if not tokens.refresh_token:
                raise FailedPrecondition(
                    f"secret {name!r} has no refresh token; authorize again", reason="OAUTH_REAUTHORIZE"
                )
            provider = self.providers.get(tokens.provider)
            if provider is None:
                raise NotFound(
                    f"OAuth provider {tokens.provider!r} is no longer configured",
                    reason="OAUTH_PROVIDER_UNKNOWN",
                )
            body = await self.endpoint.refresh(provider, tokens.refresh_token)
            fresh = token_set_from_response(provider.name, body, self.secrets.clock.now(), previous=tokens)
            record = await self.secrets.put(
                name,
                SecretKind.OAUTH_TOKEN,
                provider.name,
                fresh.to_value(),
                secret.record.metadata,
                "security",
            )
            log.info("refreshed OAuth token set %s", name)
            return Secret(record, fresh.to_value())

    async def refresh_if_due(self, secret: Secret) -> Secret:
        try:
            tokens = TokenSet.from_value(secret.value)
        except (ValueError, KeyError):
            return secret
        if (
            not tokens.due_for_refresh(self.secrets.clock.now(), self.refresh_margin)
            or not tokens.refresh_token
        ):
            return secret
        return await self.refresh(secret.record.name, force=False)

    async def refresh_due(self) -> int:
        """Refresh every stored token set that expires within the margin; returns how many were refreshed."""
        refreshed = 0
        for entry in await self.secrets.runner.run(self.secrets.vault.entries):
            if entry.record.kind is not SecretKind.OAUTH_TOKEN or entry.value is None:
                continue
            before = entry.value
            try:
                after = await self.refresh_if_due(Secret(entry.record, entry.value))
            except ServiceError as exc:
                # One provider refusing must not stop the others; the user re-authorizes that one.
                log.warning("could not refresh %s: %s", entry.record.name, exc.message)
                continue
            refreshed += after.value != before
        return refreshed

    async def keep_fresh(self, interval_seconds: float) -> None:
        """Refresh due token sets every `interval_seconds` until cancelled, so they rarely expire unused."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                count = await self.refresh_due()
                if count:
                    log.info("refreshed %d OAuth token set(s) ahead of expiry", count)
            except Exception:
                log.exception("background OAuth refresh failed")
