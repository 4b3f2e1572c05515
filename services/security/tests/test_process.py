"""The service as a real process: configured by SECURITY_* variables, serving, SIGTERM, and a clear
exit on a wrong master key. Its own log output (DEBUG, JSON) is grepped for the stored values."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from svckit.healthcheck import wait_serving
from svckit.otlp_receiver import OtlpReceiver
from svckit.testing import free_port
from tstudio.security.v1 import security_pb2, security_pb2_grpc

VALUE = "sk-proj-process-level-secret-0123456789xyz"
TOKEN = "process-reader-token-abcdef0123456789"


def launch(tmp_path: Path, log_name: str, **extra: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    env = {
        **os.environ,
        "SECURITY_PORT": str(port),
        "SECURITY_DATA_DIR": str(tmp_path / "store"),
        "SECURITY_READERS": "gateway",
        "SECURITY_SERVICE_TOKENS": f"gateway={TOKEN}",
        "SECURITY_LOG_LEVEL": "DEBUG",
        **extra,
    }
    log_path = tmp_path / log_name
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tstudio_security"], env=env, stderr=log, stdout=log
        )
    return process, port, log_path


async def test_serves_until_sigterm_and_never_logs_or_traces_values(tmp_path: Path) -> None:
    with OtlpReceiver() as receiver:
        await serve_and_stop(tmp_path, receiver)
        spans = receiver.wait_for(lambda spans: any("GetSecret" in s.name for s in spans))
    assert VALUE not in str(spans) and VALUE[8:-4] not in str(spans)


async def serve_and_stop(tmp_path: Path, receiver: OtlpReceiver) -> None:
    process, port, log_path = launch(
        tmp_path, "run.log", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY="100"
    )
    try:
        await wait_serving(f"127.0.0.1:{port}", timeout=30)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = security_pb2_grpc.SecurityServiceStub(channel)
            await stub.PutSecret(security_pb2.PutSecretRequest(name="openai", provider="openai", value=VALUE))
            await stub.ImportFromEnv(security_pb2.ImportFromEnvRequest(variables={"OPENAI_API_KEY": VALUE}))
            got = await stub.GetSecret(
                security_pb2.GetSecretRequest(name="openai"), metadata=[("x-tstudio-service-token", TOKEN)]
            )
            assert got.value == VALUE
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetSecret(security_pb2.GetSecretRequest(name="openai"))
            await stub.ValidateApiKey(security_pb2.ValidateApiKeyRequest(name="openai", provider="anthropic"))
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    log = log_path.read_text()
    assert "serving tstudio.security.v1.SecurityService" in log
    assert VALUE not in log and VALUE[8:-4] not in log
    assert "audit: read openai allowed by gateway" in log


async def test_wrong_master_key_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    first, port, _ = launch(tmp_path, "first.log")
    await wait_serving(f"127.0.0.1:{port}", timeout=30)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=30) == 0
    ring = (tmp_path / "store" / "keyring.json").read_bytes()
    wrong_key = tmp_path / "wrong.key"
    wrong_key.write_bytes(os.urandom(32))
    wrong_key.chmod(0o600)
    second, _, log_path = launch(tmp_path, "second.log", SECURITY_MASTER_KEY_FILE=str(wrong_key))
    assert second.wait(timeout=30) == 2
    assert "does not open this store's key ring" in log_path.read_text()
    assert (tmp_path / "store" / "keyring.json").read_bytes() == ring
    third, _, log_path = launch(tmp_path, "third.log", SECURITY_MASTER_KEY="passphrase")
    assert third.wait(timeout=30) == 2
    assert "SECURITY_PASSPHRASE" in log_path.read_text()
