"""Who may read secret values: callers named on an allow-list (certificate identity or service token)."""

from __future__ import annotations

from dataclasses import dataclass

from svckit.errors import PermissionDenied


@dataclass(frozen=True)
class AccessPolicy:
    readers: frozenset[str]

    def may_read(self, caller: str) -> bool:
        return bool(caller) and caller in self.readers

    def denial(self, caller: str) -> PermissionDenied:
        who = caller or "an unauthenticated caller"
        return PermissionDenied(f"{who} may not read secret values", reason="SECRET_READ_DENIED")
