"""One flipped byte in the key material never stops the service (issue 15 item 14): the key ring
is kept twice with a checksum per record and the master key file has a verified backup copy, so
the service starts, every secret stays readable and the damaged file is repaired; damage to one
record in both copies costs only the secrets of that key version."""

from __future__ import annotations

import signal
from pathlib import Path

import grpc
import pytest
from svckit.errors import DataLoss
from svckit.healthcheck import wait_serving
from tstudio.security.v1 import security_pb2, security_pb2_grpc
from tstudio_security.adapters.file_vault import EncryptedFileVault
from tstudio_security.adapters.master_keys import KeyFileMasterKey
from tstudio_security.domain.model import SecretKind, SecretRecord

from .test_process import TOKEN, VALUE, launch


async def _put_and_stop(tmp_path: Path) -> None:
    process, port, _ = launch(tmp_path, "first.log")
    try:
        await wait_serving(f"127.0.0.1:{port}", timeout=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = security_pb2_grpc.SecurityServiceStub(channel)
            for name in ("one", "two"):
                await stub.PutSecret(security_pb2.PutSecretRequest(name=name, value=VALUE + name))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


async def _read_both(tmp_path: Path, log_name: str) -> str:
    process, port, log_path = launch(tmp_path, log_name)
    try:
        await wait_serving(f"127.0.0.1:{port}", timeout=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = security_pb2_grpc.SecurityServiceStub(channel)
            for name in ("one", "two"):
                got = await stub.GetSecret(
                    security_pb2.GetSecretRequest(name=name), metadata=[("x-tstudio-service-token", TOKEN)]
                )
                assert got.value == VALUE + name
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    return log_path.read_text()


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


async def test_a_flipped_byte_in_the_key_ring_or_the_master_key_costs_nothing(tmp_path: Path) -> None:
    await _put_and_stop(tmp_path)
    store = tmp_path / "store"
    ring, mirror, master = store / "keyring.json", store / "keyring.backup.json", store / "master.key"
    sound_ring, sound_master = ring.read_bytes(), master.read_bytes()
    # A byte of JSON syntax with one of the master key; a byte of a wrapped key; the mirror's copy
    # of that record with a byte of the primary's header. Each start repairs what it found.
    sealed = sound_ring.index(b'"sealed"') + 12
    for step, flips in enumerate(
        [
            [(ring, 0), (master, 5)],
            [(ring, sealed)],
            [(mirror, sealed), (ring, sound_ring.index(b'"provider": "') + 14)],
        ]
    ):
        for path, offset in flips:
            _flip(path, offset)
        log = await _read_both(tmp_path, f"run{step}.log")
        assert "repaired" in log or "restored" in log, log[-2000:]
        assert ring.read_bytes() == mirror.read_bytes() == sound_ring
        assert master.read_bytes() == sound_master


def _record(name: str) -> SecretRecord:
    return SecretRecord(name=name, kind=SecretKind.GENERIC)


def test_one_record_damaged_in_both_copies_costs_only_its_version(tmp_path: Path) -> None:
    store = tmp_path / "store"
    vault = EncryptedFileVault(store, KeyFileMasterKey(tmp_path / "master.key")).open()
    vault.put(_record("old"), "sealed-with-version-1")
    vault.key_ring.begin_rotation()  # version 2 beside 1, as during a rotation
    vault.put(_record("new"), "sealed-with-version-2")
    for copy in (store / "keyring.json", store / "keyring.backup.json"):
        text = copy.read_text()
        start = text.index('"1"')
        sealed = text.index('"sealed": "', start) + len('"sealed": "')
        copy.write_text(text[:sealed] + ("B" if text[sealed] != "B" else "C") + text[sealed + 1 :])
    reopened = EncryptedFileVault(store, KeyFileMasterKey(tmp_path / "master.key")).open()
    assert reopened.get("new").value == "sealed-with-version-2"
    with pytest.raises(DataLoss):
        reopened.get("old")
    listed = {entry.record.name: entry.value for entry in reopened.entries()}
    assert listed == {"old": None, "new": "sealed-with-version-2"}
