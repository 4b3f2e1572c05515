"""The outside things the domain needs, as small Protocols; adapters implement them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from tstudio_security.domain.model import Secret, SecretRecord, Validation

R = TypeVar("R")

# Called after each secret a rotation re-encrypts: (done, total).
RotationProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class RotationResult:
    key_version: int
    reencrypted: int


@dataclass(frozen=True)
class StoredEntry:
    """One secret as read for a listing: its value, or None when its bytes fail authentication."""

    record: SecretRecord
    value: str | None


class SecretVault(Protocol):
    """Encrypted storage of secrets. Blocking: the domain calls it through `BlockingRunner`."""

    def put(self, record: SecretRecord, value: str) -> SecretRecord: ...

    def get(self, name: str) -> Secret: ...

    def update(self, name: str, change: Callable[[Secret], Secret]) -> Secret: ...

    def entries(self) -> list[StoredEntry]: ...

    def delete(self, name: str) -> bool: ...

    def rotate(self, progress: RotationProgress | None = None) -> RotationResult: ...

    def key_version(self) -> int: ...

    def describe(self) -> dict[str, str]: ...


class BlockingRunner(Protocol):
    async def run(self, fn: Callable[..., R], *args: Any) -> R: ...


class ApiKeyChecker(Protocol):
    """Asks a provider whether a key works (the live check after the format check)."""

    async def check(self, provider: str, value: str) -> Validation: ...


class AuditSink(Protocol):
    """Records who touched which secret. Never receives a value."""

    async def secret_accessed(self, name: str, caller: str, action: str, allowed: bool) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
