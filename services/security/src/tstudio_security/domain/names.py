"""Rules for secret names and values, checked before anything touches the store."""

from __future__ import annotations

import re

from svckit.errors import FieldViolation, InvalidArgument

# One NATS subject token, so a name can sit in `tstudio.security.secret.<name>.accessed`, and one
# plain file name, so it cannot climb out of the data directory.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
MAX_NAME_LENGTH = 128
MAX_VALUE_BYTES = 64 * 1024
MAX_METADATA_ENTRIES = 32
MAX_METADATA_BYTES = 4096


def check_name(name: str, field: str = "name") -> str:
    if not name:
        raise InvalidArgument(
            "a secret name is required", field_violations=[FieldViolation(field, "required")]
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            "secret name too long",
            field_violations=[FieldViolation(field, f"at most {MAX_NAME_LENGTH} characters")],
        )
    if not _NAME.match(name):
        raise InvalidArgument(
            "malformed secret name",
            field_violations=[
                FieldViolation(field, "letters, digits, '_' and '-' only, starting with a letter or digit")
            ],
        )
    return name


def check_value(value: str, field: str = "value") -> str:
    if not value:
        raise InvalidArgument(
            "a secret value is required", field_violations=[FieldViolation(field, "required")]
        )
    if len(value.encode()) > MAX_VALUE_BYTES:
        raise InvalidArgument(
            "secret value too large",
            field_violations=[FieldViolation(field, f"at most {MAX_VALUE_BYTES} bytes")],
        )
    return value


def check_metadata(metadata: dict[str, str], field: str = "metadata") -> dict[str, str]:
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if len(metadata) > MAX_METADATA_ENTRIES or size > MAX_METADATA_BYTES:
        raise InvalidArgument(
            "too much metadata",
            field_violations=[
                FieldViolation(
                    field, f"at most {MAX_METADATA_ENTRIES} entries and {MAX_METADATA_BYTES} bytes"
                )
            ],
        )
    return dict(metadata)


_PROVIDER = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def check_provider_label(provider: str, field: str = "provider") -> str:
    """A provider label on a stored secret: empty, or a short lower-case identifier like `openai`."""
    if provider and not _PROVIDER.match(provider):
        raise InvalidArgument(
            "malformed provider",
            field_violations=[
                FieldViolation(field, "lower-case letters, digits, '.', '_' or '-', at most 64")
            ],
        )
    return provider
