"""The encrypted file store: one file per secret under `<data_dir>/secrets`, a key ring beside it.

One file per secret keeps damage local (a flipped byte loses that secret only) and makes every
write a single atomic rename. Mutations hold a cross-process lock; reads take no lock, because a
rename is atomic and every key version a file may name stays in the ring until no file uses it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from svckit.errors import NotFound

from tstudio_security.adapters.atomic_files import (
    atomic_write,
    file_lock,
    fsync_directory,
    remove_stale_temp_files,
)
from tstudio_security.adapters.key_ring import KeyRing
from tstudio_security.adapters.master_keys import MasterKey
from tstudio_security.adapters.secret_codec import damaged, open_sealed, peek_key_version, seal
from tstudio_security.domain.model import Secret, SecretKind, SecretRecord
from tstudio_security.domain.names import check_name
from tstudio_security.domain.ports import RotationProgress, RotationResult, StoredEntry

log = logging.getLogger(__name__)

SUFFIX = ".secret"


class EncryptedFileVault:
    def __init__(self, data_dir: Path, master_key: MasterKey) -> None:
        self.data_dir = data_dir
        self.secrets_dir = data_dir / "secrets"
        self._lock_path = data_dir / ".lock"
        self.key_ring = KeyRing(data_dir / "keyring.json", master_key)

    def open(self) -> EncryptedFileVault:
        """Check the master key against the ring, sweep unfinished writes, finish an interrupted rotation."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.secrets_dir.mkdir(exist_ok=True, mode=0o700)
        with file_lock(self._lock_path):
            remove_stale_temp_files(self.secrets_dir)
            remove_stale_temp_files(self.data_dir)
            state = self.key_ring.load_or_create(allow_create=not any(self._files()))
            if state.rotating_to is not None:
                log.warning("resuming an interrupted key rotation to version %d", state.rotating_to)
                self._rotate_locked(None)
        return self

    def _files(self) -> list[Path]:
        return sorted(self.secrets_dir.glob(f"*{SUFFIX}"))

    def _path(self, name: str) -> Path:
        return self.secrets_dir / f"{check_name(name)}{SUFFIX}"

    def _read(self, name: str) -> tuple[SecretRecord, str]:
        try:
            blob = self._path(name).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no secret named {name!r}", reason="SECRET_NOT_FOUND") from None
        return open_sealed(name, blob, self.key_ring.data_key(peek_key_version(name, blob)))

    def _write(self, record: SecretRecord, value: str) -> SecretRecord:
        version = self.key_ring.require_state().write_version()
        data_key = self.key_ring.data_key(version)
        if data_key is None:
            raise damaged(record.name, "the key ring lost its write key")
        atomic_write(self._path(record.name), seal(record, value, version, data_key))
        return replace(record, key_version=version)

    def put(self, record: SecretRecord, value: str) -> SecretRecord:
        with file_lock(self._lock_path):
            # Another process may have rotated; write under the ring's newest version.
            self.key_ring.reload()
            return self._write(record, value)

    def get(self, name: str) -> Secret:
        record, value = self._read(name)
        return Secret(record, value)

    def update(self, name: str, change: Callable[[Secret], Secret]) -> Secret:
        with file_lock(self._lock_path):
            self.key_ring.reload()
            changed = change(self.get(name))
            return Secret(self._write(changed.record, changed.value), changed.value)

    def entries(self) -> list[StoredEntry]:
        out = []
        for path in self._files():
            name = path.name[: -len(SUFFIX)]
            try:
                record, value = self._read(name)
                out.append(StoredEntry(record, value))
            except NotFound:
                continue  # deleted while we listed
            except Exception as exc:  # damaged: list it so the user sees it, without a value
                log.warning("secret %s is unreadable: %s", name, getattr(exc, "message", type(exc).__name__))
                out.append(StoredEntry(SecretRecord(name=name, kind=SecretKind.GENERIC), None))
        return out

    def delete(self, name: str) -> bool:
        with file_lock(self._lock_path):
            try:
                self._path(name).unlink()
            except FileNotFoundError:
                return False
            fsync_directory(self.secrets_dir)
            return True

    def rotate(self, progress: RotationProgress | None = None) -> RotationResult:
        with file_lock(self._lock_path):
            self.key_ring.reload()
            return self._rotate_locked(progress)

    def _rotate_locked(self, progress: RotationProgress | None) -> RotationResult:
        """Re-encrypt every secret under a new data key, one atomic file at a time.

        Both keys stay in the ring until the last file is rewritten, so each secret is readable
        at every moment; after a crash, `open()` sees `rotating_to` and carries on from here.
        """
        target = self.key_ring.begin_rotation()
        files = self._files()
        reencrypted = 0
        damaged_versions: set[int] = set()
        for index, path in enumerate(files, start=1):
            name = path.name[: -len(SUFFIX)]
            with contextlib.suppress(FileNotFoundError):
                blob = path.read_bytes()
                try:
                    version = peek_key_version(name, blob)
                    if version != target:
                        record, value = open_sealed(name, blob, self.key_ring.data_key(version))
                        self._write(record, value)
                        reencrypted += 1
                except Exception as exc:
                    # A damaged secret cannot be re-encrypted; keep its key so it is not made worse.
                    log.error("rotation skipped damaged secret %s: %s", name, getattr(exc, "message", exc))
                    with contextlib.suppress(Exception):
                        damaged_versions.add(peek_key_version(name, blob))
            if progress is not None:
                progress(index, len(files))
        self.key_ring.finish_rotation(keep=damaged_versions)
        log.info("key rotation to version %d re-encrypted %d secret(s)", target, reencrypted)
        return RotationResult(key_version=target, reencrypted=reencrypted)

    def key_version(self) -> int:
        return self.key_ring.require_state().write_version()

    def describe(self) -> dict[str, str]:
        state = self.key_ring.require_state()
        return {
            "store.kind": "encrypted files (AES-256-GCM)",
            "store.path": str(self.data_dir),
            "store.secrets": str(len(self._files())),
            "master_key.provider": self.key_ring.master_key.describe(),
            "key.version": str(state.current),
            "key.versions": ",".join(str(v) for v in sorted(state.wrapped)),
        }
