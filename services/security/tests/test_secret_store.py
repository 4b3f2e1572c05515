"""The encrypted file store with its real crypto, files and locks (no gRPC)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from svckit.errors import DataLoss, FailedPrecondition, InvalidArgument, NotFound
from tstudio_security.adapters.file_vault import EncryptedFileVault
from tstudio_security.adapters.master_keys import KeychainMasterKey, KeyFileMasterKey, PassphraseMasterKey
from tstudio_security.domain.masking import mask
from tstudio_security.domain.model import SecretKind, SecretRecord

OPENAI = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


def record(name: str, kind: SecretKind = SecretKind.API_KEY) -> SecretRecord:
    return SecretRecord(name=name, kind=kind, provider="openai", metadata={"team": "video"})


def file_vault(tmp_path: Path) -> EncryptedFileVault:
    return EncryptedFileVault(tmp_path / "store", KeyFileMasterKey(tmp_path / "store" / "master.key")).open()


def test_round_trip_keeps_value_and_metadata(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    stored = vault.put(record("openai"), OPENAI)
    secret = vault.get("openai")
    assert secret.value == OPENAI
    assert secret.record.metadata == {"team": "video"}
    assert stored.key_version == secret.record.key_version == 1
    assert OPENAI.encode() not in (tmp_path / "store" / "secrets" / "openai.secret").read_bytes()
    assert OPENAI not in repr(secret)


def test_each_write_uses_a_fresh_nonce(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    path = tmp_path / "store" / "secrets" / "same.secret"
    vault.put(record("same"), OPENAI)
    first = path.read_bytes()
    vault.put(record("same"), OPENAI)
    assert path.read_bytes() != first


def test_key_file_is_created_owner_only_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    key_path = tmp_path / "master.key"
    KeyFileMasterKey(key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key_path.chmod(0o644)
    with pytest.raises(FailedPrecondition, match="readable by others"):
        KeyFileMasterKey(key_path)


def test_flipped_byte_loses_only_that_secret(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    vault.put(record("victim"), OPENAI)
    vault.put(record("bystander"), OPENAI + "x")
    path = tmp_path / "store" / "secrets" / "victim.secret"
    for offset in (2, 20, len(path.read_bytes()) - 5):  # magic, header, ciphertext
        blob = bytearray(path.read_bytes())
        original = bytes(blob)
        blob[offset] ^= 0x01
        path.write_bytes(bytes(blob))
        with pytest.raises(DataLoss) as caught:
            vault.get("victim")
        assert OPENAI not in caught.value.message
        assert vault.get("bystander").value == OPENAI + "x"
        path.write_bytes(original)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))
    listed = {entry.record.name: entry.value for entry in vault.entries()}
    assert listed == {"victim": None, "bystander": OPENAI + "x"}


def test_a_file_copied_under_another_name_fails_authentication(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    vault.put(record("real"), OPENAI)
    secrets_dir = tmp_path / "store" / "secrets"
    (secrets_dir / "impostor.secret").write_bytes((secrets_dir / "real.secret").read_bytes())
    with pytest.raises(DataLoss):
        vault.get("impostor")


def test_wrong_key_file_is_refused_and_nothing_is_overwritten(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    vault.put(record("kept"), OPENAI)
    before = {p: p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file()}
    with pytest.raises(FailedPrecondition) as caught:
        EncryptedFileVault(tmp_path / "store", KeyFileMasterKey(tmp_path / "other.key")).open()
    assert caught.value.reason == "WRONG_MASTER_KEY"
    after = {p: p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file()}
    assert after == before
    assert file_vault(tmp_path).get("kept").value == OPENAI


def test_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    good = PassphraseMasterKey("correct horse battery", memory_kib=1024, time_cost=1)
    vault = EncryptedFileVault(tmp_path / "store", good).open()
    vault.put(record("kept"), OPENAI)
    ring = (tmp_path / "store" / "keyring.json").read_text()
    assert '"kdf": "argon2id"' in ring and '"salt"' in ring
    bad = PassphraseMasterKey("wrong horse battery", memory_kib=1024, time_cost=1)
    with pytest.raises(FailedPrecondition, match="does not open"):
        EncryptedFileVault(tmp_path / "store", bad).open()
    assert (tmp_path / "store" / "keyring.json").read_text() == ring
    again = PassphraseMasterKey("correct horse battery", memory_kib=1024, time_cost=1)
    assert EncryptedFileVault(tmp_path / "store", again).open().get("kept").value == OPENAI


def test_switching_provider_is_refused(tmp_path: Path) -> None:
    file_vault(tmp_path).put(record("kept"), OPENAI)
    other = PassphraseMasterKey("correct horse battery", memory_kib=1024, time_cost=1)
    with pytest.raises(FailedPrecondition, match="sealed by the file provider"):
        EncryptedFileVault(tmp_path / "store", other).open()


def test_missing_key_ring_with_secrets_present_is_refused(tmp_path: Path) -> None:
    file_vault(tmp_path).put(record("kept"), OPENAI)
    (tmp_path / "store" / "keyring.json").unlink()
    (tmp_path / "store" / "keyring.backup.json").unlink()
    with pytest.raises(FailedPrecondition, match="missing"):
        file_vault(tmp_path)
    assert not (tmp_path / "store" / "keyring.json").exists()


def test_a_missing_key_ring_is_restored_from_its_mirror(tmp_path: Path) -> None:
    file_vault(tmp_path).put(record("kept"), OPENAI)
    (tmp_path / "store" / "keyring.json").unlink()
    assert file_vault(tmp_path).get("kept").value == OPENAI
    store = tmp_path / "store"
    assert (store / "keyring.json").read_bytes() == (store / "keyring.backup.json").read_bytes()


def test_rotation_reencrypts_everything_and_retires_the_old_key(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    for index in range(5):
        vault.put(record(f"s{index}"), f"{OPENAI}{index}")
    seen: list[tuple[int, int]] = []
    result = vault.rotate(lambda done, total: seen.append((done, total)))
    assert (result.key_version, result.reencrypted) == (2, 5)
    assert seen[-1] == (5, 5)
    reopened = file_vault(tmp_path)
    for index in range(5):
        secret = reopened.get(f"s{index}")
        assert (secret.value, secret.record.key_version) == (f"{OPENAI}{index}", 2)
    assert '"1"' not in (tmp_path / "store" / "keyring.json").read_text()


def test_rotation_skips_a_damaged_secret_and_keeps_its_key(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    vault.put(record("good"), OPENAI)
    vault.put(record("bad"), OPENAI + "b")
    path = tmp_path / "store" / "secrets" / "bad.secret"
    blob = bytearray(path.read_bytes())
    blob[-2] ^= 0x10
    path.write_bytes(bytes(blob))
    result = vault.rotate()
    assert (result.key_version, result.reencrypted) == (2, 1)
    assert file_vault(tmp_path).get("good").record.key_version == 2
    ring = (tmp_path / "store" / "keyring.json").read_text()
    assert '"1"' in ring and '"2"' in ring  # v1 stays: the damaged file still names it
    path.write_bytes(bytes(blob[:-2]) + bytes([blob[-2] ^ 0x10]) + bytes(blob[-1:]))
    assert file_vault(tmp_path).get("bad").value == OPENAI + "b"  # restored from backup: still opens


def test_a_second_process_sees_a_rotation(tmp_path: Path) -> None:
    first, second = file_vault(tmp_path), file_vault(tmp_path)
    first.put(record("shared"), OPENAI)
    first.rotate()
    assert second.get("shared").value == OPENAI
    second.put(record("later"), OPENAI)
    assert first.get("later").record.key_version == 2


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    vaults = [file_vault(tmp_path) for _ in range(4)]

    def write(worker: int) -> None:
        for index in range(25):
            vaults[worker].put(record(f"w{worker}-{index}"), f"{OPENAI}-{worker}-{index}")
            if worker == 0 and index == 10:
                vaults[worker].rotate()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = file_vault(tmp_path)
    assert len(reader.entries()) == 100
    for worker in range(4):
        for index in range(25):
            assert reader.get(f"w{worker}-{index}").value == f"{OPENAI}-{worker}-{index}"
    assert not list((tmp_path / "store" / "secrets").glob(".*"))


def test_delete_and_not_found(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    vault.put(record("gone"), OPENAI)
    assert vault.delete("gone") is True
    assert vault.delete("gone") is False
    with pytest.raises(NotFound):
        vault.get("gone")


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "a.b", "x" * 129, "-lead", "sp ace", "ünï"])
def test_malformed_names_are_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidArgument):
        file_vault(tmp_path).get(name)


def test_keychain_backend_holds_the_master_key(tmp_path: Path) -> None:
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    vault = EncryptedFileVault(tmp_path / "store", KeychainMasterKey(backend=backend)).open()
    vault.put(record("kept"), OPENAI)
    assert backend.get_password("tstudio-security", "master-key")
    reopened = EncryptedFileVault(tmp_path / "store", KeychainMasterKey(backend=backend)).open()
    assert reopened.get("kept").value == OPENAI
    backend.delete_password("tstudio-security", "master-key")  # a new, different key is made
    with pytest.raises(FailedPrecondition, match="does not open"):
        EncryptedFileVault(tmp_path / "store", KeychainMasterKey(backend=backend)).open()


def test_keychain_without_a_backend_says_so() -> None:
    from keyring.backends import fail

    with pytest.raises(FailedPrecondition, match="no OS keychain backend"):
        KeychainMasterKey(backend=fail.Keyring())


def test_masking_shows_prefix_and_last_four_only() -> None:
    assert mask(OPENAI) == "sk-proj-…6789"
    assert mask("sk-ant-api03-" + "z" * 30 + "abcd") == "sk-ant-…abcd"
    assert mask("AIza" + "q" * 31 + "wxyz") == "…wxyz"
    assert mask("short") == "…"


def test_store_files_are_owner_only(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    vault.put(record("private"), OPENAI)
    for path in [tmp_path / "store" / "keyring.json", tmp_path / "store" / "secrets" / "private.secret"]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for directory in [tmp_path / "store", tmp_path / "store" / "secrets"]:
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
