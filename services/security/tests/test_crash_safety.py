"""SIGKILL in the middle of writes and rotations: every secret stays readable, old value or new."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from svckit.errors import NotFound
from tstudio_security.adapters.file_vault import EncryptedFileVault
from tstudio_security.adapters.master_keys import KeyFileMasterKey
from tstudio_security.domain.model import SecretKind, SecretRecord

WORKER = Path(__file__).with_name("crash_worker.py")


def open_vault(tmp_path: Path) -> EncryptedFileVault:
    return EncryptedFileVault(tmp_path / "store", KeyFileMasterKey(tmp_path / "master.key")).open()


def test_rotation_killed_halfway_resumes_on_next_open(tmp_path: Path) -> None:
    vault = open_vault(tmp_path)
    values = {f"s{i}": f"sk-original-{i:04d}-abcdefgh" for i in range(10)}
    for name, value in values.items():
        vault.put(SecretRecord(name=name, kind=SecretKind.API_KEY), value)
    child = subprocess.run(
        [
            sys.executable,
            str(WORKER),
            "rotate-then-die",
            str(tmp_path / "store"),
            str(tmp_path / "master.key"),
            "4",
        ],
        check=False,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL
    ring = json.loads((tmp_path / "store" / "keyring.json").read_text())
    assert ring["rotating_to"] == 2 and set(ring["versions"]) == {"1", "2"}
    # Mid-rotation, before anyone resumes it, every secret is readable (mixed key versions).
    versions = {vault.get(name).record.key_version for name in values}
    assert versions == {1, 2}
    assert {name: vault.get(name).value for name in values} == values
    resumed = open_vault(tmp_path)
    ring = json.loads((tmp_path / "store" / "keyring.json").read_text())
    assert ring["rotating_to"] is None and set(ring["versions"]) == {"2"}
    for name, value in values.items():
        secret = resumed.get(name)
        assert (secret.value, secret.record.key_version) == (value, 2)


def test_write_killed_before_its_rename_keeps_the_old_value(tmp_path: Path) -> None:
    vault = open_vault(tmp_path)
    vault.put(SecretRecord(name="steady", kind=SecretKind.API_KEY), "sk-old-value-still-here")
    child = subprocess.run(
        [
            sys.executable,
            str(WORKER),
            "die-before-rename",
            str(tmp_path / "store"),
            str(tmp_path / "master.key"),
            "steady",
        ],
        check=False,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL
    assert list((tmp_path / "store" / "secrets").glob(".*.tmp"))  # the unfinished write is there...
    assert vault.get("steady").value == "sk-old-value-still-here"
    reopened = open_vault(tmp_path)
    assert not list((tmp_path / "store" / "secrets").glob(".*.tmp"))  # ...and swept on the next open
    assert reopened.get("steady").value == "sk-old-value-still-here"


def test_writer_killed_at_arbitrary_points_leaves_every_secret_readable(tmp_path: Path) -> None:
    open_vault(tmp_path)  # create the key ring and the key file first
    # Per secret, every value it may hold: None (never written) or any value announced so far.
    possible: dict[str, set[str | None]] = {}
    for round_number, lines_before_kill in enumerate((7, 23, 41, 64)):
        child = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "write-forever",
                str(tmp_path / "store"),
                str(tmp_path / "master.key"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        for _ in range(lines_before_kill):
            line = child.stdout.readline().split()
            if line and line[0] == "writing":
                possible.setdefault(line[1], {None}).add(line[2])
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        vault = open_vault(tmp_path)
        assert not list((tmp_path / "store" / "secrets").glob(".*.tmp")), round_number
        for name, candidates in possible.items():
            try:
                value: str | None = vault.get(name).value
            except NotFound:
                value = None
            assert value in candidates, (name, round_number)
