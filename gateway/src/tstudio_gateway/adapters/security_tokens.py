"""Bearer tokens checked by the security service (`VerifyAccessToken`), with a short cache.

The caller carries the scopes the token was issued with. A verified token is remembered, scopes
and all, for `cache_seconds` (never past its expiry), so a busy client costs
one security call per window; a revoked token therefore keeps working for at most that long.
Wrong tokens are not cached (a flood of them costs security calls, and the rate limiter only
sees authenticated callers). When the security service cannot answer, callers get 503 with
Retry-After, not 401: their token may be fine.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable

import grpc
from svckit.errors import Unauthenticated, Unavailable
from tstudio.security.v1 import security_pb2, security_pb2_grpc

from tstudio_gateway.domain.auth import (
    Caller,
    ChainedTokenVerifier,
    StaticTokenVerifier,
    TokenVerifier,
    caller_id,
)

log = logging.getLogger(__name__)

MAX_CACHED = 10_000


class SecurityTokenVerifier:
    def __init__(
        self,
        channel: grpc.aio.Channel,
        cache_seconds: float = 10.0,
        timeout_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = security_pb2_grpc.SecurityServiceStub(channel)
        self.cache_seconds, self.timeout_seconds, self._clock = cache_seconds, timeout_seconds, clock
        # sha256(token) -> (caller, monotonic time until which it is trusted)
        self._cache: dict[str, tuple[Caller, float]] = {}

    async def verify(self, token: str) -> Caller:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now < cached[1]:
            return cached[0]
        try:
            reply = await self._stub.VerifyAccessToken(
                security_pb2.VerifyAccessTokenRequest(token=token), timeout=self.timeout_seconds
            )
        except grpc.RpcError as exc:
            log.warning("cannot verify a bearer token: security answered %s", exc.code())
            raise Unavailable(
                "cannot check the bearer token now: the security service is unavailable; try again",
                reason="AUTH_UNAVAILABLE",
                retry_after_seconds=1,
            ) from None
        if not reply.valid:
            self._cache.pop(key, None)
            raise Unauthenticated("missing or invalid bearer token", reason="INVALID_TOKEN")
        caller = Caller(id=caller_id(token), scopes=frozenset(reply.info.scopes))
        remaining = reply.info.expires_at.ToSeconds() - time.time()
        self._remember(key, caller, now + max(0.0, min(self.cache_seconds, remaining)))
        return caller

    def _remember(self, key: str, caller: Caller, until: float) -> None:
        if len(self._cache) >= MAX_CACHED:
            now = self._clock()
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        self._cache[key] = (caller, until)


def build_token_verifier(
    source: str, static_tokens: Iterable[str], security: Callable[[], grpc.aio.Channel], cache_seconds: float
) -> TokenVerifier:
    """GATEWAY_TOKEN_SOURCE=static: the static list only; =security: the static list (dev token,
    GATEWAY_TOKENS), then the security service."""
    static = StaticTokenVerifier(static_tokens)
    if source != "security":
        return static
    return ChainedTokenVerifier(static, SecurityTokenVerifier(security(), cache_seconds))
