"""Signed, expiring stream URLs: HMAC-SHA256 over the path and the expiry time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from svckit.errors import FieldViolation, InvalidArgument, PermissionDenied

MAX_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class SignedStream:
    # Query parameters: `p` (the path, base64url), `e` (expiry, Unix seconds), `s` (signature).
    query: dict[str, str]
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _expiry(text: str) -> int:
    """Unix seconds as the signer writes them: ASCII digits only (int() would also take
    Unicode digits, underscores and spaces, and thousands of digits)."""
    if not (0 < len(text) <= 12 and text.isascii() and text.isdigit()):
        raise ValueError("malformed expiry")
    return int(text)


class UrlSigner:
    def __init__(self, key: bytes, default_ttl: int, clock: Callable[[], float] = time.time) -> None:
        if len(key) < 16:
            raise ValueError("the URL signing key must be at least 16 bytes")
        self._key = key
        self._default_ttl = default_ttl
        self._clock = clock

    def _signature(self, path: bytes, expires: int) -> str:
        message = b"tstudio-stream-v1\n" + path + b"\n" + str(expires).encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def sign(self, path: str, ttl_seconds: int = 0) -> SignedStream:
        if ttl_seconds < 0 or ttl_seconds > MAX_TTL_SECONDS:
            raise InvalidArgument(
                "ttl_seconds out of range",
                field_violations=[FieldViolation("ttl_seconds", f"must be between 0 and {MAX_TTL_SECONDS}")],
            )
        expires = int(self._clock()) + (ttl_seconds or self._default_ttl)
        raw = path.encode()
        return SignedStream({"p": _b64(raw), "e": str(expires), "s": self._signature(raw, expires)}, expires)

    def verify(self, query: dict[str, str]) -> str:
        """The signed path, or PermissionDenied for a missing, forged or expired signature."""
        try:
            raw = _unb64(query["p"])
            expires = _expiry(query["e"])
            signature = query["s"]
        except (KeyError, ValueError) as exc:
            raise PermissionDenied("unsigned or malformed stream URL", reason="URL_NOT_SIGNED") from exc
        # Bytes, not str: compare_digest refuses str holding anything but ASCII.
        given = signature.encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._signature(raw, expires).encode()):
            raise PermissionDenied("invalid stream URL signature", reason="URL_SIGNATURE_INVALID")
        if expires < self._clock():
            raise PermissionDenied("the stream URL has expired", reason="URL_EXPIRED")
        return raw.decode(errors="strict")
