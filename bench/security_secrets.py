"""Security service: GetSecret p50/p99 and Put/Get per second over gRPC on loopback, next to a bare
AES-256-GCM encrypt/decrypt loop (the floor: the cipher alone, no files, no RPC) from the same run.

Run: `.venv/bin/python bench/security_secrets.py` (or `make bench`). Small store in a temp dir.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import grpc
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from grpc_health.v1 import health_pb2, health_pb2_grpc
from svckit.bus import InProcessBus
from tstudio.security.v1 import security_pb2, security_pb2_grpc
from tstudio_security.deps import build_deps
from tstudio_security.server import create_server
from tstudio_security.settings import SecuritySettings

VALUE = "sk-proj-" + secrets.token_urlsafe(40)
TOKEN = secrets.token_urlsafe(24)
PUTS, GETS, WARMUP, CONCURRENCY = 300, 2000, 100, 8


def bare_aes_gcm(count: int) -> tuple[float, float]:
    """Seconds per encrypt and per decrypt of VALUE with a fresh nonce and AAD, as the store does."""
    cipher = AESGCM(AESGCM.generate_key(bit_length=256))
    data, aad = VALUE.encode(), b"name|1"
    started = time.perf_counter()
    sealed = []
    for _ in range(count):
        nonce = os.urandom(12)
        sealed.append((nonce, cipher.encrypt(nonce, data, aad)))
    encrypt = (time.perf_counter() - started) / count
    started = time.perf_counter()
    for nonce, blob in sealed:
        cipher.decrypt(nonce, blob, aad)
    return encrypt, (time.perf_counter() - started) / count


async def over_grpc(data_dir: Path) -> dict[str, float]:
    settings = SecuritySettings(
        port=0, data_dir=data_dir, readers=("bench",), service_tokens=(f"bench={TOKEN}",), max_workers=4
    )
    bus = InProcessBus()
    deps = build_deps(settings, bus)
    handle = create_server(settings, deps)
    await handle.start()
    await handle.set_serving(True)
    metadata = [("x-tstudio-service-token", TOKEN)]
    out: dict[str, float] = {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}") as channel:
        stub = security_pb2_grpc.SecurityServiceStub(channel)

        async def put(index: int) -> None:
            await stub.PutSecret(
                security_pb2.PutSecretRequest(name=f"key-{index % 50}", provider="openai", value=VALUE)
            )

        for index in range(50):
            await put(index)
        started = time.perf_counter()
        for index in range(PUTS):
            await put(index)
        out["put_per_s"] = PUTS / (time.perf_counter() - started)

        # Second floor: a trivial unary RPC (health Check) on the same server, for the gRPC cost alone.
        health = health_pb2_grpc.HealthStub(channel)
        check = health_pb2.HealthCheckRequest()
        for _ in range(WARMUP):
            await health.Check(check)
        rtts = []
        for _ in range(GETS):
            started = time.perf_counter()
            await health.Check(check)
            rtts.append(time.perf_counter() - started)
        out["rpc_p50"] = statistics.median(rtts)

        request = security_pb2.GetSecretRequest(name="key-7")
        for _ in range(WARMUP):
            await stub.GetSecret(request, metadata=metadata)
        latencies = []
        for _ in range(GETS):
            started = time.perf_counter()
            await stub.GetSecret(request, metadata=metadata)
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        out["get_p50"] = statistics.median(latencies)
        out["get_p99"] = latencies[int(len(latencies) * 0.99) - 1]
        out["get_per_s_sequential"] = len(latencies) / sum(latencies)

        async def reader(count: int) -> None:
            for _ in range(count):
                await stub.GetSecret(request, metadata=metadata)

        started = time.perf_counter()
        await asyncio.gather(*(reader(GETS // CONCURRENCY) for _ in range(CONCURRENCY)))
        out["get_per_s_concurrent"] = GETS / (time.perf_counter() - started)
    await handle.stop(0)
    await deps.close()
    await bus.close()
    return out


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    encrypt_s, decrypt_s = bare_aes_gcm(20000)
    with tempfile.TemporaryDirectory(prefix="bench-security-") as tmp:
        grpc_figures = asyncio.run(over_grpc(Path(tmp) / "store"))
    print(f"baseline bare AES-256-GCM: encrypt {encrypt_s * 1e6:.2f} us, decrypt {decrypt_s * 1e6:.2f} us")
    print(
        f"GetSecret over gRPC: p50 {grpc_figures['get_p50'] * 1e3:.3f} ms "
        f"({grpc_figures['get_p50'] / decrypt_s:.0f}x bare decrypt), "
        f"p99 {grpc_figures['get_p99'] * 1e3:.3f} ms ({grpc_figures['get_p99'] / decrypt_s:.0f}x)"
    )
    print(
        f"trivial RPC (health Check) p50 {grpc_figures['rpc_p50'] * 1e3:.3f} ms; "
        f"GetSecret p50 is {grpc_figures['get_p50'] / grpc_figures['rpc_p50']:.2f}x a bare round trip"
    )
    print(
        f"GetSecret/s: sequential {grpc_figures['get_per_s_sequential']:.0f}, "
        f"{CONCURRENCY} in flight {grpc_figures['get_per_s_concurrent']:.0f} "
        f"(bare decrypt/s {1 / decrypt_s:.0f}; ratio {grpc_figures['get_per_s_concurrent'] * decrypt_s:.4f})"
    )
    print(
        f"PutSecret/s (atomic write + fsync each): {grpc_figures['put_per_s']:.0f} "
        f"(bare encrypt/s {1 / encrypt_s:.0f}; ratio {grpc_figures['put_per_s'] * encrypt_s:.5f})"
    )


if __name__ == "__main__":
    main()
