"""Access-token records in one JSON file (`<data_dir>/access-tokens.json`, mode 0600), written
atomically under the store's lock. It holds hashes, never tokens."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from tstudio_security.adapters.atomic_files import atomic_write, file_lock
from tstudio_security.domain.access_tokens import AccessToken


def _to_json(record: AccessToken) -> dict[str, Any]:
    return {
        "secret_hash": record.secret_hash,
        "subject": record.subject,
        "scopes": list(record.scopes),
        "issued_at": record.issued_at.isoformat(),
        "expires_at": record.expires_at.isoformat(),
        "revoked": record.revoked,
    }


def _from_json(token_id: str, data: dict[str, Any]) -> AccessToken:
    return AccessToken(
        token_id=token_id,
        secret_hash=data["secret_hash"],
        subject=data["subject"],
        scopes=tuple(data["scopes"]),
        issued_at=datetime.fromisoformat(data["issued_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]),
        revoked=bool(data["revoked"]),
    )


class TokenFile:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = data_dir / "access-tokens.json"
        self.lock = data_dir / ".lock"

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            return dict(json.loads(self.path.read_bytes()))
        except FileNotFoundError:
            return {}

    def _write(self, records: dict[str, dict[str, Any]]) -> None:
        atomic_write(self.path, json.dumps(records, sort_keys=True).encode())

    def get(self, token_id: str) -> AccessToken | None:
        data = self._read().get(token_id)
        return None if data is None else _from_json(token_id, data)

    def put(self, record: AccessToken) -> None:
        with file_lock(self.lock):
            records = self._read()
            records[record.token_id] = _to_json(record)
            self._write(records)

    def update(self, token_id: str, change: Callable[[AccessToken], AccessToken]) -> bool:
        with file_lock(self.lock):
            records = self._read()
            if token_id not in records:
                return False
            records[token_id] = _to_json(change(_from_json(token_id, records[token_id])))
            self._write(records)
            return True
