"""Master key providers: each wraps and unwraps the store's data keys (envelope encryption).

The data keys encrypt the secrets; a master key only ever encrypts data keys, so changing where
the master key lives never touches the secrets themselves. Providers: a key file (0600), a
passphrase (Argon2id, salt stored with the wrapped key), the OS keychain (`keyring`) and
HashiCorp Vault / OpenBao Transit (`hvac`).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from svckit.errors import FailedPrecondition, Unavailable

from tstudio_security.adapters.atomic_files import atomic_write

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12


class MasterKey(Protocol):
    """Wraps data keys. `kind` is recorded in the key ring so a mismatched provider is caught."""

    kind: str

    def wrap(self, data_key: bytes, version: int) -> dict[str, str]: ...

    def unwrap(self, wrapped: dict[str, str], version: int) -> bytes: ...

    def describe(self) -> str: ...


def wrong_master_key(kind: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"the configured {kind} master key does not open this store's key ring "
        "(wrong key, passphrase or provider); nothing was changed",
        reason="WRONG_MASTER_KEY",
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def _aad(version: int) -> bytes:
    return f"tstudio.security.keyring|v{version}".encode()


class _AesKeyWrap:
    """AES-256-GCM wrapping with a local key encryption key (shared by file, passphrase, keychain)."""

    kind = "local"

    def _kek(self, wrapped: dict[str, str] | None) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def wrap(self, data_key: bytes, version: int) -> dict[str, str]:
        kek, extra = self._kek(None)
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(kek).encrypt(nonce, data_key, _aad(version))
        return {**extra, "nonce": _b64(nonce), "sealed": _b64(sealed)}

    def unwrap(self, wrapped: dict[str, str], version: int) -> bytes:
        kek, _ = self._kek(wrapped)
        try:
            return AESGCM(kek).decrypt(_unb64(wrapped["nonce"]), _unb64(wrapped["sealed"]), _aad(version))
        except (InvalidTag, KeyError, ValueError):
            raise wrong_master_key(self.kind) from None


class KeyFileMasterKey(_AesKeyWrap):
    """A 32-byte random key in a file readable by the owner only; created on first use.

    A verified backup copy lives beside it (`<file>.backup`: magic, key, SHA-256), written when
    the key is made or first proven to open the ring. When the key file no longer opens the ring
    (a flipped byte), the backup is tried; if it opens it, it is used and the key file restored.
    """

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.backup_path = path.with_name(path.name + ".backup")
        primary = self._load_or_create()
        backup = self._load_backup()
        self._candidates = [k for k in (primary, backup) if k is not None]
        if not self._candidates:
            raise FailedPrecondition(
                f"master key file {self.path} must hold exactly {KEY_BYTES} bytes",
                reason="MASTER_KEY_FILE_INVALID",
            )
        if backup is not None and primary is not None and backup != primary:
            # Which one is right is decided by the ring (unwrap), the key file first.
            self._candidates = [primary, backup]
        self._key = self._candidates[0]
        self._primary_sound = primary is not None
        self._backup_sound = backup is not None and backup == primary

    def _load_or_create(self) -> bytes | None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._load()
        key = secrets.token_bytes(KEY_BYTES)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        atomic_write(self.backup_path, _backup_bytes(key))
        log.info("created master key file %s (0600) and its backup copy", self.path)
        return key

    def _load(self) -> bytes | None:
        _refuse_if_shared(self.path)
        key = self.path.read_bytes()
        if len(key) != KEY_BYTES:
            log.error(
                "master key file %s does not hold %d bytes; trying its backup copy", self.path, KEY_BYTES
            )
            return None
        return key

    def _load_backup(self) -> bytes | None:
        try:
            _refuse_if_shared(self.backup_path)
            data = self.backup_path.read_bytes()
        except FileNotFoundError:
            return None
        key = _key_from_backup(data)
        if key is None:
            log.error("the master key backup %s is damaged (checksum); it is not used", self.backup_path)
        return key

    def unwrap(self, wrapped: dict[str, str], version: int) -> bytes:
        for key in self._candidates:
            data_key = _unseal(key, wrapped, version)
            if data_key is not None:
                self._adopt(key)
                return data_key
        raise wrong_master_key(self.kind)

    def _adopt(self, key: bytes) -> None:
        """`key` opened the ring: use it, and make both files hold it."""
        if key != self._key or not self._primary_sound:
            log.error(
                "master key file %s is damaged; its verified backup copy opened the key ring and is "
                "used; the key file is restored from it",
                self.path,
            )
            atomic_write(self.path, key)
            self._key, self._primary_sound = key, True
        if not self._backup_sound:
            atomic_write(self.backup_path, _backup_bytes(key))
            self._backup_sound = True
        self._candidates = [key]

    def _kek(self, wrapped: dict[str, str] | None) -> tuple[bytes, dict[str, str]]:
        return self._key, {}

    def describe(self) -> str:
        return f"key file {self.path}"


_BACKUP_MAGIC = b"TSMK1"


def _backup_bytes(key: bytes) -> bytes:
    return _BACKUP_MAGIC + key + hashlib.sha256(_BACKUP_MAGIC + key).digest()


def _key_from_backup(data: bytes) -> bytes | None:
    body, digest = data[: len(_BACKUP_MAGIC) + KEY_BYTES], data[len(_BACKUP_MAGIC) + KEY_BYTES :]
    if not body.startswith(_BACKUP_MAGIC) or hashlib.sha256(body).digest() != digest:
        return None
    return body[len(_BACKUP_MAGIC) :]


def _refuse_if_shared(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise FailedPrecondition(
            f"master key file {path} is readable by others (mode {mode:o}); chmod 600 it",
            reason="MASTER_KEY_FILE_PERMISSIONS",
        )


def _unseal(kek: bytes, wrapped: dict[str, str], version: int) -> bytes | None:
    try:
        return AESGCM(kek).decrypt(_unb64(wrapped["nonce"]), _unb64(wrapped["sealed"]), _aad(version))
    except (InvalidTag, KeyError, ValueError):
        return None


class PassphraseMasterKey(_AesKeyWrap):
    """A key derived from a passphrase with Argon2id; each wrapped key carries its own salt."""

    kind = "passphrase"

    # RFC 9106's second recommended option (64 MiB, 3 passes); tests may lower the memory.
    def __init__(self, passphrase: str, memory_kib: int = 64 * 1024, time_cost: int = 3) -> None:
        if len(passphrase) < 8:
            raise FailedPrecondition("the master passphrase must have at least 8 characters")
        self._passphrase = passphrase.encode()
        self.memory_kib = memory_kib
        self.time_cost = time_cost
        self._derived: dict[tuple[str, int, int], bytes] = {}

    def _derive(self, salt: bytes, memory_kib: int, time_cost: int) -> bytes:
        from argon2.low_level import Type, hash_secret_raw

        cache_key = (_b64(salt), memory_kib, time_cost)
        if cache_key not in self._derived:
            self._derived[cache_key] = hash_secret_raw(
                self._passphrase, salt, time_cost, memory_kib, 1, KEY_BYTES, Type.ID
            )
        return self._derived[cache_key]

    def _kek(self, wrapped: dict[str, str] | None) -> tuple[bytes, dict[str, str]]:
        if wrapped is None:
            salt, memory, passes = secrets.token_bytes(16), self.memory_kib, self.time_cost
        else:
            try:
                salt = _unb64(wrapped["salt"])
                memory, passes = int(wrapped["m"]), int(wrapped["t"])
            except (KeyError, ValueError):
                raise wrong_master_key(self.kind) from None
        extra = {"kdf": "argon2id", "salt": _b64(salt), "m": str(memory), "t": str(passes)}
        return self._derive(salt, memory, passes), extra

    def describe(self) -> str:
        return f"passphrase (argon2id, {self.memory_kib} KiB, {self.time_cost} passes)"


class KeychainMasterKey(_AesKeyWrap):
    """A random key kept in the OS keychain (macOS Keychain, Windows Credential Locker, Secret Service)."""

    kind = "keychain"

    def __init__(
        self, service: str = "tstudio-security", account: str = "master-key", backend: Any = None
    ) -> None:
        import keyring
        from keyring.backends import fail, null

        self._keyring = backend or keyring.get_keyring()
        if isinstance(self._keyring, (fail.Keyring, null.Keyring)):
            raise FailedPrecondition(
                "no OS keychain backend is available here (keyring found only "
                f"{type(self._keyring).__module__}); choose the key file, passphrase or Vault provider",
                reason="KEYCHAIN_UNAVAILABLE",
            )
        self.service, self.account = service, account
        self._key = self._load_or_create()

    def _load_or_create(self) -> bytes:
        try:
            stored = self._keyring.get_password(self.service, self.account)
            if stored is None:
                key = secrets.token_bytes(KEY_BYTES)
                self._keyring.set_password(self.service, self.account, _b64(key))
                log.info("stored a new master key in the OS keychain (%s)", type(self._keyring).__name__)
                return key
        except Exception as exc:
            raise Unavailable(
                f"the OS keychain failed: {type(exc).__name__}", reason="KEYCHAIN_FAILED"
            ) from None
        try:
            key = _unb64(stored)
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise FailedPrecondition(
                "the keychain entry is not a tstudio master key", reason="WRONG_MASTER_KEY"
            )
        return key

    def _kek(self, wrapped: dict[str, str] | None) -> tuple[bytes, dict[str, str]]:
        return self._key, {}

    def describe(self) -> str:
        return f"OS keychain ({type(self._keyring).__name__}, service {self.service})"


class VaultTransitMasterKey:
    """Data keys wrapped by a HashiCorp Vault / OpenBao Transit key, which never leaves Vault."""

    kind = "vault-transit"

    def __init__(self, client: Any, key_name: str = "tstudio-security", mount_point: str = "transit") -> None:
        self._client = client
        self.key_name, self.mount_point = key_name, mount_point
        self._call(lambda: self._ensure_key())

    def _ensure_key(self) -> None:
        import hvac.exceptions

        try:
            self._client.secrets.transit.read_key(name=self.key_name, mount_point=self.mount_point)
        except hvac.exceptions.InvalidPath:
            self._client.secrets.transit.create_key(name=self.key_name, mount_point=self.mount_point)
            log.info("created Vault transit key %s/%s", self.mount_point, self.key_name)

    def _call(self, fn: Any) -> Any:
        import hvac.exceptions
        import requests

        try:
            return fn()
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise FailedPrecondition(
                "Vault refused the token for the transit key", reason="VAULT_FORBIDDEN"
            ) from None
        except hvac.exceptions.InvalidRequest:
            raise wrong_master_key(self.kind) from None
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise Unavailable(
                f"Vault is unavailable: {type(exc).__name__}", reason="VAULT_UNAVAILABLE"
            ) from None

    def wrap(self, data_key: bytes, version: int) -> dict[str, str]:
        response = self._call(
            lambda: self._client.secrets.transit.encrypt_data(
                name=self.key_name, plaintext=_b64(data_key), mount_point=self.mount_point
            )
        )
        return {"ciphertext": response["data"]["ciphertext"]}

    def unwrap(self, wrapped: dict[str, str], version: int) -> bytes:
        if "ciphertext" not in wrapped:
            raise wrong_master_key(self.kind)
        response = self._call(
            lambda: self._client.secrets.transit.decrypt_data(
                name=self.key_name, ciphertext=wrapped["ciphertext"], mount_point=self.mount_point
            )
        )
        return _unb64(response["data"]["plaintext"])

    def describe(self) -> str:
        return f"Vault transit key {self.mount_point}/{self.key_name}"


def vault_client(address: str, token: str, timeout: float = 5.0) -> Any:
    """An hvac client, checked to be authenticated."""
    import hvac

    client = hvac.Client(url=address, token=token, timeout=timeout)
    try:
        authenticated = client.is_authenticated()
    except Exception as exc:
        raise Unavailable(
            f"Vault at {address} is unreachable: {type(exc).__name__}", reason="VAULT_UNAVAILABLE"
        ) from None
    if not authenticated:
        raise FailedPrecondition("the Vault token is not valid", reason="VAULT_FORBIDDEN")
    return client
