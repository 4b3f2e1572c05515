"""Fixtures: a real store in a temp directory and a real gRPC server on a free loopback port."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.bus import InProcessBus
from tstudio.security.v1 import security_pb2_grpc
from tstudio_security.deps import SecurityDeps, build_deps
from tstudio_security.server import create_server
from tstudio_security.settings import SecuritySettings

READER_TOKEN = "reader-token-0123456789abcdef"
OTHER_TOKEN = "other-token-0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path) -> SecuritySettings:
    return SecuritySettings(
        port=0,
        data_dir=tmp_path / "store",
        readers=("gateway",),
        service_tokens=(f"gateway={READER_TOKEN}", f"compiler={OTHER_TOKEN}"),
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        validation_timeout_seconds=2.0,
        log_format="text",
    )


@dataclasses.dataclass
class Running:
    stub: security_pb2_grpc.SecurityServiceStub
    deps: SecurityDeps
    bus: InProcessBus
    settings: SecuritySettings
    port: int

    def as_reader(self) -> list[tuple[str, str]]:
        return [("x-tstudio-service-token", READER_TOKEN)]

    def as_non_reader(self) -> list[tuple[str, str]]:
        return [("x-tstudio-service-token", OTHER_TOKEN)]


async def start_service(settings: SecuritySettings, **deps_kwargs: Any) -> AsyncIterator[Running]:
    bus = InProcessBus()
    deps = build_deps(settings, bus, **deps_kwargs)
    handle = create_server(settings, deps)
    await handle.start()
    await handle.set_serving(True)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}")
    try:
        yield Running(security_pb2_grpc.SecurityServiceStub(channel), deps, bus, settings, handle.port)
    finally:
        await channel.close()
        await handle.stop(0)
        await deps.close()
        await bus.close()


@pytest.fixture
async def service(settings: SecuritySettings) -> AsyncIterator[Running]:
    async for running in start_service(settings):
        yield running


@pytest.fixture
async def make_service(settings: SecuritySettings) -> AsyncIterator[Callable[..., Awaitable[Running]]]:
    """Start a service with some settings changed: `await make_service(provider_urls=(...))`."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(clock: Any = None, **overrides: Any) -> Running:
            changed = dataclasses.replace(settings, **overrides)
            started = contextlib.asynccontextmanager(start_service)(changed, clock=clock)
            return await stack.enter_async_context(started)

        yield make
