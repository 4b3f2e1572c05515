"""OAuth 2.0 authorization code flow with PKCE (S256) and state, and token sets kept as secrets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument

STATE_TTL = timedelta(minutes=10)
MAX_PENDING = 1000


@dataclass(frozen=True)
class OAuthProvider:
    name: str
    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str = ""
    default_scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    # TikTok calls the client id "client_key".
    client_id_param: str = "client_id"
    extra_authorize_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TokenSet:
    provider: str
    access_token: str
    refresh_token: str = ""
    token_type: str = "Bearer"
    scope: str = ""
    expires_at: datetime | None = None

    def to_value(self) -> str:
        return json.dumps(
            {
                "provider": self.provider,
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "token_type": self.token_type,
                "scope": self.scope,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_value(cls, value: str) -> TokenSet:
        body = json.loads(value)
        expires = body.get("expires_at")
        return cls(
            provider=body["provider"],
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") or "",
            token_type=body.get("token_type") or "Bearer",
            scope=body.get("scope") or "",
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )

    def due_for_refresh(self, now: datetime, margin: timedelta) -> bool:
        return self.expires_at is not None and self.expires_at - now <= margin

    def __repr__(self) -> str:
        return f"TokenSet(provider={self.provider!r}, expires_at={self.expires_at!r}, tokens=<hidden>)"


def token_set_from_response(
    provider: str, body: dict[str, Any], now: datetime, previous: TokenSet | None = None
) -> TokenSet:
    """Build a token set from a token endpoint's JSON; a refresh that omits the refresh token keeps the old one."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise FailedPrecondition("the token endpoint returned no access token", reason="OAUTH_BAD_RESPONSE")
    expires_in = body.get("expires_in")
    expires_at = now + timedelta(seconds=float(expires_in)) if expires_in is not None else None
    return TokenSet(
        provider=provider,
        access_token=access,
        refresh_token=str(body.get("refresh_token") or (previous.refresh_token if previous else "")),
        token_type=str(body.get("token_type") or "Bearer"),
        scope=str(body.get("scope") or (previous.scope if previous else "")),
        expires_at=expires_at,
    )


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """A code verifier (RFC 7636: 43-128 unreserved characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    return verifier, s256_challenge(verifier)


@dataclass(frozen=True)
class PendingAuthorization:
    provider: str
    code_verifier: str
    redirect_uri: str
    secret_name: str
    expires_at: datetime


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str
    expires_at: datetime


class TokenEndpoint(Protocol):
    async def exchange_code(
        self, provider: OAuthProvider, code: str, code_verifier: str, redirect_uri: str
    ) -> dict[str, Any]: ...

    async def refresh(self, provider: OAuthProvider, refresh_token: str) -> dict[str, Any]: ...


def check_redirect_uri(uri: str) -> str:
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.netloc or (parts.scheme == "http" and not loopback):
        raise InvalidArgument(
            "redirect_uri must be https, or http on a loopback address",
            field_violations=[FieldViolation("redirect_uri", "https://..., or http://127.0.0.1:<port>/...")],
        )
    if parts.fragment:
        raise InvalidArgument(
            "redirect_uri must not have a fragment",
            field_violations=[FieldViolation("redirect_uri", "no #fragment")],
        )
    return uri


class PendingAuthorizations:
    """Started flows by state; each state is single-use and expires. Held in memory: a restart
    asks the user to start again, which is the safe outcome for a half-done consent."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingAuthorization] = {}
        self._lock = asyncio.Lock()

    def add(self, state: str, pending: PendingAuthorization, now: datetime) -> None:
        self._pending = {s: p for s, p in self._pending.items() if p.expires_at > now}
        if len(self._pending) >= MAX_PENDING:
            raise FailedPrecondition(
                "too many OAuth flows in progress; finish or wait for some", reason="OAUTH_BUSY"
            )
        self._pending[state] = pending

    def take(self, state: str, now: datetime) -> PendingAuthorization:
        pending = self._pending.pop(state, None)
        if pending is None or pending.expires_at <= now:
            raise InvalidArgument(
                "unknown, used or expired OAuth state",
                reason="OAUTH_STATE_INVALID",
                field_violations=[FieldViolation("state", "start the authorization again")],
            )
        return pending


def authorization_url(
    provider: OAuthProvider, redirect_uri: str, scopes: tuple[str, ...], state: str, challenge: str
) -> str:
    params = {
        "response_type": "code",
        provider.client_id_param: provider.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **provider.extra_authorize_params,
    }
    if scopes:
        params["scope"] = provider.scope_separator.join(scopes)
    separator = "&" if urlsplit(provider.authorize_url).query else "?"
    return f"{provider.authorize_url}{separator}{urlencode(params)}"


PRESETS: dict[str, dict[str, Any]] = {
    "youtube": {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "default_scopes": ("https://www.googleapis.com/auth/youtube.upload",),
        # Google returns a refresh token only for offline access with fresh consent.
        "extra_authorize_params": {"access_type": "offline", "prompt": "consent"},
    },
    "tiktok": {
        "authorize_url": "https://www.tiktok.com/v2/auth/authorize/",
        "token_url": "https://open.tiktokapis.com/v2/oauth/token/",
        "default_scopes": ("user.info.basic", "video.upload"),
        "scope_separator": ",",
        "client_id_param": "client_key",
    },
    "vimeo": {
        "authorize_url": "https://api.vimeo.com/oauth/authorize",
        "token_url": "https://api.vimeo.com/oauth/access_token",
        "default_scopes": ("public", "private", "upload"),
    },
}


def providers_from_config(config: dict[str, dict[str, Any]]) -> dict[str, OAuthProvider]:
    """Presets completed by configuration (client id and secret at least); custom providers need URLs."""
    out = {}
    for name, entry in config.items():
        merged = {**PRESETS.get(name, {}), **entry}
        missing = [k for k in ("authorize_url", "token_url", "client_id") if not merged.get(k)]
        if missing:
            raise ValueError(f"OAuth provider {name!r} lacks {', '.join(missing)}")
        out[name] = OAuthProvider(
            name=name,
            authorize_url=str(merged["authorize_url"]),
            token_url=str(merged["token_url"]),
            client_id=str(merged["client_id"]),
            client_secret=str(merged.get("client_secret", "")),
            default_scopes=tuple(merged.get("default_scopes", ())),
            scope_separator=str(merged.get("scope_separator", " ")),
            client_id_param=str(merged.get("client_id_param", "client_id")),
            extra_authorize_params=dict(merged.get("extra_authorize_params", {})),
        )
    return out
