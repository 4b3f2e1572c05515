"""What a stored secret is, apart from its value."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class SecretKind(enum.Enum):
    API_KEY = "api_key"
    OAUTH_TOKEN = "oauth_token"
    GENERIC = "generic"


class ValidationState(enum.Enum):
    UNKNOWN = "unknown"
    VALID = "valid"
    INVALID = "invalid"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Validation:
    """The outcome of checking an API key with its provider."""

    state: ValidationState
    reason: str = ""
    checked_at: datetime | None = None


@dataclass(frozen=True)
class SecretRecord:
    """Everything about a secret except its value. Stored in the clear but authenticated (AAD)."""

    name: str
    kind: SecretKind
    provider: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None
    validation: Validation = Validation(ValidationState.UNKNOWN)
    key_version: int = 0


@dataclass(frozen=True)
class Secret:
    record: SecretRecord
    value: str

    def __repr__(self) -> str:
        # Keeps the value out of tracebacks, debug logs and assertion messages.
        return f"Secret(record={self.record!r}, value=<hidden>)"


@dataclass(frozen=True)
class ListedSecret:
    """A row of ListSecrets: the record and its masked value, or why it could not be read."""

    record: SecretRecord
    masked_value: str
    damaged: bool = False
