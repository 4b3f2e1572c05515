"""Bearer tokens for the gateway: issued once, stored only as a hash, checked in constant time.

A token is `tst_<id>_<secret>`: the id finds the record, the secret (256 random bits) is never
stored, only its SHA-256 (a fast hash is enough for a random secret of this size: there is nothing
to brute-force, unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from svckit.errors import FieldViolation, InvalidArgument, NotFound

from tstudio_security.domain.access import AccessPolicy
from tstudio_security.domain.ports import BlockingRunner, Clock

log = logging.getLogger(__name__)

PREFIX = "tst"
_TOKEN = re.compile(r"^tst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$")
_SCOPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:*-]{0,63}$")
MAX_SCOPES = 32
MAX_TTL = timedelta(days=366)
# Compared against when the id is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"no such token").hexdigest()


@dataclass(frozen=True)
class AccessToken:
    """A stored token: everything but the token itself."""

    token_id: str
    secret_hash: str
    subject: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: AccessToken


class TokenStore(Protocol):
    """Persistent token records. Blocking: called through `BlockingRunner`."""

    def get(self, token_id: str) -> AccessToken | None: ...

    def put(self, record: AccessToken) -> None: ...

    def update(self, token_id: str, change: Callable[[AccessToken], AccessToken]) -> bool: ...


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessTokens:
    def __init__(
        self,
        store: TokenStore,
        runner: BlockingRunner,
        clock: Clock,
        policy: AccessPolicy,
        default_ttl: timedelta,
    ) -> None:
        self.store, self.runner, self.clock, self.policy = store, runner, clock, policy
        self.default_ttl = default_ttl

    async def issue(
        self, subject: str, scopes: tuple[str, ...], ttl_seconds: int, caller: str
    ) -> IssuedToken:
        if not self.policy.may_read(caller):
            raise self.policy.denial(caller)
        _check(subject, scopes, ttl_seconds)
        ttl = timedelta(seconds=ttl_seconds) if ttl_seconds else self.default_ttl
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        now = self.clock.now()
        record = AccessToken(token_id, hash_secret(secret), subject, scopes, now, now + ttl)
        await self.runner.run(self.store.put, record)
        log.info("issued access token %s for %s (caller %s)", token_id, subject, caller)
        return IssuedToken(f"{PREFIX}_{token_id}_{secret}", record)

    async def verify(self, token: str) -> AccessToken | None:
        """The token's record when it is known, matches, has not expired and is not revoked."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        token_id, secret = match.groups()
        record = await self.runner.run(self.store.get, token_id)
        expected = record.secret_hash if record is not None else _DUMMY_HASH
        matches = hmac.compare_digest(expected.encode(), hash_secret(secret).encode())
        if record is None or not matches or record.revoked or self.clock.now() >= record.expires_at:
            return None
        return record

    async def revoke(self, token_id: str, caller: str) -> None:
        if not self.policy.may_read(caller):
            raise self.policy.denial(caller)
        changed = await self.runner.run(
            self.store.update, token_id, lambda record: replace(record, revoked=True)
        )
        if not changed:
            raise NotFound(f"no access token {token_id!r}", reason="ACCESS_TOKEN_NOT_FOUND")
        log.info("revoked access token %s (caller %s)", token_id, caller)


def _check(subject: str, scopes: tuple[str, ...], ttl_seconds: int) -> None:
    violations = []
    if not _SUBJECT.match(subject):
        violations.append(FieldViolation("subject", "1-128 of A-Z a-z 0-9 _ . @ : -, starting alphanumeric"))
    if len(scopes) > MAX_SCOPES:
        violations.append(FieldViolation("scopes", f"at most {MAX_SCOPES}"))
    violations += [
        FieldViolation(f"scopes[{i}]", "1-64 of A-Z a-z 0-9 _ . : * -")
        for i, scope in enumerate(scopes)
        if not _SCOPE.match(scope)
    ]
    if ttl_seconds < 0 or ttl_seconds > MAX_TTL.total_seconds():
        violations.append(FieldViolation("ttl_seconds", f"0 (default) to {int(MAX_TTL.total_seconds())}"))
    if violations:
        raise InvalidArgument("invalid access token request", field_violations=violations)
