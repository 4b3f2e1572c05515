"""The on-disk format of one secret (format 1).

    b"TSSE" | format (1 byte) | key version (uint32 BE) | header length (uint32 BE) | header JSON
    | nonce (12 bytes) | AES-256-GCM ciphertext of the value, with its 16-byte tag

Everything before the nonce is the associated data, so the name, key version, kind, provider,
metadata and validation result are bound to the ciphertext: change any byte and the secret fails
authentication (DATA_LOSS) instead of decrypting under a different name or key.
"""

from __future__ import annotations

import json
import secrets
import struct
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from svckit.errors import DataLoss

from tstudio_security.domain.model import SecretKind, SecretRecord, Validation, ValidationState

MAGIC = b"TSSE"
FORMAT = 1
NONCE_BYTES = 12
_FIXED = struct.Struct(">4sBII")


def damaged(name: str, why: str) -> DataLoss:
    return DataLoss(
        f"secret {name!r} is damaged ({why}); other secrets are unaffected", reason="SECRET_DAMAGED"
    )


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def record_to_header(record: SecretRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "kind": record.kind.value,
        "provider": record.provider,
        "metadata": record.metadata,
        "updated_at": _time(record.updated_at),
        "validation": {
            "state": record.validation.state.value,
            "reason": record.validation.reason,
            "checked_at": _time(record.validation.checked_at),
        },
    }


def header_to_record(header: dict[str, Any], key_version: int) -> SecretRecord:
    validation = header.get("validation") or {}
    return SecretRecord(
        name=str(header["name"]),
        kind=SecretKind(header["kind"]),
        provider=str(header.get("provider", "")),
        metadata={str(k): str(v) for k, v in (header.get("metadata") or {}).items()},
        updated_at=_parse_time(header.get("updated_at")),
        validation=Validation(
            ValidationState(validation.get("state", "unknown")),
            str(validation.get("reason", "")),
            _parse_time(validation.get("checked_at")),
        ),
        key_version=key_version,
    )


def seal(record: SecretRecord, value: str, key_version: int, data_key: bytes) -> bytes:
    """Encrypt `value` under a fresh random nonce; never reuse a nonce with a key."""
    header = json.dumps(record_to_header(record), sort_keys=True, separators=(",", ":")).encode()
    associated = _FIXED.pack(MAGIC, FORMAT, key_version, len(header)) + header
    nonce = secrets.token_bytes(NONCE_BYTES)
    return associated + nonce + AESGCM(data_key).encrypt(nonce, value.encode(), associated)


def peek_key_version(name: str, blob: bytes) -> int:
    if len(blob) < _FIXED.size:
        raise damaged(name, "truncated")
    magic, fmt, key_version, _ = _FIXED.unpack_from(blob)
    if magic != MAGIC or fmt != FORMAT:
        raise damaged(name, "unknown format")
    return int(key_version)


def open_sealed(name: str, blob: bytes, data_key: bytes | None) -> tuple[SecretRecord, str]:
    """Decrypt and authenticate; any damage raises DataLoss naming only this secret."""
    key_version = peek_key_version(name, blob)
    header_length = _FIXED.unpack_from(blob)[3]
    body_start = _FIXED.size + header_length
    if len(blob) < body_start + NONCE_BYTES + 16:
        raise damaged(name, "truncated")
    if data_key is None:
        raise damaged(name, f"its key version {key_version} is not in the key ring")
    associated = blob[:body_start]
    nonce = blob[body_start : body_start + NONCE_BYTES]
    try:
        value = AESGCM(data_key).decrypt(nonce, blob[body_start + NONCE_BYTES :], associated)
        record = header_to_record(json.loads(blob[_FIXED.size : body_start]), key_version)
    except InvalidTag:
        raise damaged(name, "authentication failed") from None
    except (ValueError, KeyError, TypeError):
        raise damaged(name, "unreadable header") from None
    if record.name != name:
        raise damaged(name, "it was stored under another name")
    return record, value.decode()
