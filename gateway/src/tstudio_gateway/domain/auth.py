"""Who is calling: bearer tokens checked by a `TokenVerifier`.

The gateway starts with a static token list from its settings (plus a dev token); a verifier that
asks the security service can replace it without touching the HTTP layer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from svckit.errors import Unauthenticated

from tstudio_gateway.domain.scopes import ALL


@dataclass(frozen=True)
class Caller:
    """An authenticated caller. `id` keys rate limits and logs; it is never the token itself.
    `scopes` are what its token grants (`domain/scopes.py`)."""

    id: str
    scopes: frozenset[str]


FULL_ACCESS = frozenset({ALL})


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Caller:
        """Return the caller the token belongs to, or raise `Unauthenticated`."""
        ...


def caller_id(token: str) -> str:
    """A stable, non-reversible name for a token, safe to log."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:12]


class StaticTokenVerifier:
    """Accepts the tokens it was given, compared in constant time; they grant every scope (the
    operator configured them: the dev token and GATEWAY_TOKENS)."""

    def __init__(self, tokens: Iterable[str]) -> None:
        # The caller of each token is made once, not hashed again on every request.
        self._tokens = tuple((t.encode(), Caller(caller_id(t), FULL_ACCESS)) for t in tokens if t)

    async def verify(self, token: str) -> Caller:
        candidate = token.encode()
        # Compare with every token so timing does not reveal which one nearly matched.
        matched: Caller | None = None
        for known, caller in self._tokens:
            if hmac.compare_digest(candidate, known):
                matched = caller
        if not token or matched is None:
            raise Unauthenticated("missing or invalid bearer token", reason="INVALID_TOKEN")
        return matched


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; raises when absent or malformed."""
    if not authorization:
        raise Unauthenticated("an Authorization: Bearer <token> header is required", reason="MISSING_TOKEN")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'", reason="MISSING_TOKEN")
    return checked_token(token.strip())


# Far longer than any token we issue; bounds the hashing and comparing a request can cause.
MAX_TOKEN_CHARS = 4096


def checked_token(token: str) -> str:
    """`token` if it is printable ASCII of sane length; else UNAUTHENTICATED (MALFORMED_TOKEN).
    HTTP headers arrive as bytes: aiohttp keeps ones that are not UTF-8 as surrogates, which
    no verifier could encode."""
    if len(token) > MAX_TOKEN_CHARS or not (token.isascii() and token.isprintable()):
        raise Unauthenticated(
            f"a bearer token is printable ASCII of at most {MAX_TOKEN_CHARS} characters",
            reason="MALFORMED_TOKEN",
        )
    return token


class ChainedTokenVerifier:
    """Tries verifiers in order (the static dev/GATEWAY_TOKENS list, then the security service);
    the first to accept wins, and an outage of one (503) is not hidden by the next's 401."""

    def __init__(self, *verifiers: TokenVerifier) -> None:
        self._verifiers = verifiers

    async def verify(self, token: str) -> Caller:
        for verifier in self._verifiers:
            try:
                return await verifier.verify(token)
            except Unauthenticated:
                continue
        raise Unauthenticated("missing or invalid bearer token", reason="INVALID_TOKEN")
