"""The key ring file: which data-key versions exist, each wrapped by the master key, and whether a
rotation is under way. Rewritten atomically, so it is always a complete, consistent state, and kept
twice with a checksum per record (`ring_copies`), so one damaged byte never stops the service."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from svckit.errors import DataLoss, FailedPrecondition

from tstudio_security.adapters import ring_copies
from tstudio_security.adapters.atomic_files import atomic_write
from tstudio_security.adapters.master_keys import KEY_BYTES, MasterKey

log = logging.getLogger(__name__)


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
        return ring_copies.encode(self.provider, self.current, self.rotating_to, self.wrapped)


class KeyRing:
    """Data keys by version, unwrapped with the master key and cached in memory."""

    def __init__(self, path: Path, master_key: MasterKey) -> None:
        self.path = path
        self.backup_path = ring_copies.backup_path(path)
        self.master_key = master_key
        self.state: KeyRingState | None = None
        self._keys: dict[int, bytes] = {}

    def load_or_create(self, allow_create: bool) -> KeyRingState:
        """Read the ring and unwrap every version (proving the master key) before anything is written."""
        if not self.path.exists() and not self.backup_path.exists():
            if not allow_create:
                raise FailedPrecondition(
                    f"{self.path.name} is missing but the store holds secrets; restore it from backup",
                    reason="KEYRING_MISSING",
                )
            data_key = secrets.token_bytes(KEY_BYTES)
            state = KeyRingState(
                provider=self.master_key.kind, current=1, wrapped={1: self.master_key.wrap(data_key, 1)}
            )
            self._write(state)
            log.info("created a key ring (%s)", self.master_key.describe())
            self.state, self._keys = state, {1: data_key}
            return state
        state, clean = self._load()
        if not clean:
            # Both copies written again from what was sound (the caller holds the store's lock).
            self._write(state)
            log.warning(
                "key ring copies repaired: %s and %s rewritten", self.path.name, self.backup_path.name
            )
        return state

    def reload(self) -> KeyRingState:
        return self._load()[0]

    def _write(self, state: KeyRingState) -> None:
        data = state.to_bytes()
        atomic_write(self.path, data)
        atomic_write(self.backup_path, data)

    def _load(self) -> tuple[KeyRingState, bool]:
        read = ring_copies.read_copies(
            [(self.path.name, _read(self.path)), (self.backup_path.name, _read(self.backup_path))]
        )
        if read.header is None:
            raise DataLoss(
                f"the key ring is unreadable in both {self.path.name} and {self.backup_path.name}: "
                + "; ".join(read.problems),
                reason="KEYRING_DAMAGED",
            )
        for problem in read.problems:
            log.warning("key ring: %s", problem)
        header = read.header
        if header.provider != self.master_key.kind:
            raise FailedPrecondition(
                f"this store's key ring is sealed by the {header.provider} provider, "
                f"but {self.master_key.kind} is configured; nothing was changed",
                reason="WRONG_MASTER_KEY",
            )
        keys: dict[int, bytes] = {}
        wrapped: dict[int, dict[str, str]] = {}
        for version, options in sorted(read.candidates.items()):
            # A sound record (its checksum holds) that does not unwrap means a wrong master key,
            # not damage: that still stops the service, before anything is written.
            keys[version] = self._keys.get(version) or self.master_key.unwrap(options[0], version)
            wrapped[version] = options[0]
        for version in sorted(read.lost):
            log.error(
                "key version %d is damaged in both key ring copies: secrets sealed with it are lost "
                "(DATA_LOSS) unless %s is restored from a backup",
                version,
                self.path.name,
            )
        state = KeyRingState(header.provider, header.current, header.rotating_to, wrapped)
        self.state, self._keys = state, keys
        return state, read.clean and not read.lost

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
        self._write(new_state)
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
        self._write(new_state)
        self.state = new_state
        self._keys = {v: k for v, k in self._keys.items() if v in wrapped}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
