"""The key ring file: which data-key versions exist, each wrapped by the master key, and whether a
rotation is under way. Rewritten atomically, so it is always a complete, consistent state."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from svckit.errors import DataLoss, FailedPrecondition

from tstudio_security.adapters.atomic_files import atomic_write
from tstudio_security.adapters.master_keys import KEY_BYTES, MasterKey

log = logging.getLogger(__name__)

FORMAT = 1


@dataclass
class KeyRingState:
    provider: str
    current: int
    # Set while a rotation runs: new writes use it, and a restart finishes the rotation.
    rotating_to: int | None = None
    wrapped: dict[int, dict[str, str]] = field(default_factory=dict)

    def write_version(self) -> int:
        return self.rotating_to if self.rotating_to is not None else self.current

    def to_bytes(self) -> bytes:
        body: dict[str, Any] = {
            "format": FORMAT,
            "provider": self.provider,
            "current": self.current,
            "rotating_to": self.rotating_to,
            "versions": {str(v): w for v, w in sorted(self.wrapped.items())},
        }
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes, path: Path) -> KeyRingState:
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise ValueError(f"unsupported key ring format {body.get('format')!r}")
            return cls(
                provider=str(body["provider"]),
                current=int(body["current"]),
                rotating_to=None if body.get("rotating_to") is None else int(body["rotating_to"]),
                wrapped={int(v): dict(w) for v, w in body["versions"].items()},
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DataLoss(
                f"the key ring {path.name} is unreadable: {exc}", reason="KEYRING_DAMAGED"
            ) from None


class KeyRing:
    """Data keys by version, unwrapped with the master key and cached in memory."""

    def __init__(self, path: Path, master_key: MasterKey) -> None:
        self.path = path
        self.master_key = master_key
        self.state: KeyRingState | None = None
        self._keys: dict[int, bytes] = {}

    def load_or_create(self, allow_create: bool) -> KeyRingState:
        """Read the ring and unwrap every version (proving the master key) before anything is written."""
        if not self.path.exists():
            if not allow_create:
                raise FailedPrecondition(
                    f"{self.path.name} is missing but the store holds secrets; restore it from backup",
                    reason="KEYRING_MISSING",
                )
            data_key = secrets.token_bytes(KEY_BYTES)
            state = KeyRingState(
                provider=self.master_key.kind, current=1, wrapped={1: self.master_key.wrap(data_key, 1)}
            )
            atomic_write(self.path, state.to_bytes())
            log.info("created a key ring (%s)", self.master_key.describe())
            self.state, self._keys = state, {1: data_key}
            return state
        return self.reload()

    def reload(self) -> KeyRingState:
        state = KeyRingState.from_bytes(self.path.read_bytes(), self.path)
        if state.provider != self.master_key.kind:
            raise FailedPrecondition(
                f"this store's key ring is sealed by the {state.provider} provider, "
                f"but {self.master_key.kind} is configured; nothing was changed",
                reason="WRONG_MASTER_KEY",
            )
        keys = {}
        for version, wrapped in state.wrapped.items():
            keys[version] = self._keys.get(version) or self.master_key.unwrap(wrapped, version)
        self.state, self._keys = state, keys
        return state

    def data_key(self, version: int) -> bytes | None:
        if version not in self._keys:
            # Another process may have rotated since we loaded the ring.
            self.reload()
        return self._keys.get(version)

    def require_state(self) -> KeyRingState:
        if self.state is None:
            raise FailedPrecondition("the key ring is not open")
        return self.state

    def begin_rotation(self) -> int:
        state = self.require_state()
        if state.rotating_to is not None:
            return state.rotating_to
        target = max(state.wrapped) + 1
        data_key = secrets.token_bytes(KEY_BYTES)
        new_state = KeyRingState(
            provider=state.provider,
            current=state.current,
            rotating_to=target,
            wrapped={**state.wrapped, target: self.master_key.wrap(data_key, target)},
        )
        atomic_write(self.path, new_state.to_bytes())
        self.state = new_state
        self._keys[target] = data_key
        return target

    def finish_rotation(self, keep: set[int]) -> None:
        """Make the target current and retire the versions no secret uses any more."""
        state = self.require_state()
        if state.rotating_to is None:
            return
        target = state.rotating_to
        wrapped = {v: w for v, w in state.wrapped.items() if v == target or v in keep}
        new_state = KeyRingState(provider=state.provider, current=target, rotating_to=None, wrapped=wrapped)
        atomic_write(self.path, new_state.to_bytes())
        self.state = new_state
        self._keys = {v: k for v, k in self._keys.items() if v in wrapped}
