"""Gateway bearer tokens checked by the real security service (GATEWAY_TOKEN_SOURCE=security):
an issued token gets in; wrong, revoked and expired ones are 401; security down is 503, not 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import grpc
import pytest
from svckit.bus import InProcessBus
from svckit.testing import free_port
from tstudio.security.v1 import security_pb2, security_pb2_grpc
from tstudio_gateway.adapters.backends import Backends
from tstudio_gateway.adapters.event_relay import EventRelay
from tstudio_gateway.adapters.security_tokens import build_token_verifier
from tstudio_gateway.server import GatewayDeps, start_server
from tstudio_gateway.settings import GatewaySettings
from tstudio_security.deps import build_deps
from tstudio_security.server import create_server
from tstudio_security.settings import SecuritySettings

ADMIN_TOKEN = "admin-service-token-0123456789"
DEV_TOKEN = "dev-token-0123456789"


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Suite:
    security: security_pb2_grpc.SecurityServiceStub
    clock: MovableClock
    url: str
    session: aiohttp.ClientSession

    async def issue(self, ttl_seconds: int = 0) -> security_pb2.IssueAccessTokenResponse:
        return await self.security.IssueAccessToken(
            security_pb2.IssueAccessTokenRequest(subject="alice", scopes=["invoke"], ttl_seconds=ttl_seconds),
            metadata=[("x-tstudio-service-token", ADMIN_TOKEN)],
        )

    async def status(self, token: str) -> int:
        async with self.session.get(
            f"{self.url}/api/v1/commands", headers={"Authorization": f"Bearer {token}"}
        ) as reply:
            return reply.status


async def start_gateway(security_addr: str, cache_seconds: float) -> AsyncIterator[tuple[str, Backends]]:
    settings = GatewaySettings(
        port=0,
        security_addr=security_addr,
        token_source="security",
        token_cache_seconds=cache_seconds,
        tokens=(DEV_TOKEN,),
        enable_dev_token=False,
    )
    backends = Backends(settings.backend_addresses(), grpc.aio.insecure_channel)
    verifier = build_token_verifier(
        settings.token_source, settings.tokens, lambda: backends.channel("security"), cache_seconds
    )
    handle = await start_server(settings, GatewayDeps(backends, verifier, EventRelay(None)))
    try:
        yield f"http://127.0.0.1:{handle.port}", backends
    finally:
        await handle.stop()
        await backends.close()


@pytest.fixture
async def suite(tmp_path: Path) -> AsyncIterator[Suite]:
    settings = SecuritySettings(
        port=0,
        data_dir=tmp_path / "security",
        readers=("admin",),
        service_tokens=(f"admin={ADMIN_TOKEN}",),
        log_format="text",
    )
    bus = InProcessBus()
    clock = MovableClock()
    deps = build_deps(settings, bus, clock=clock)
    handle = create_server(settings, deps)
    await handle.start()
    await handle.set_serving(True)
    address = f"127.0.0.1:{handle.port}"
    try:
        async with grpc.aio.insecure_channel(address) as channel, aiohttp.ClientSession() as session:
            # No cache, so a revocation is seen on the next request.
            async for url, _ in start_gateway(address, cache_seconds=0):
                yield Suite(security_pb2_grpc.SecurityServiceStub(channel), clock, url, session)
    finally:
        await handle.stop(0)
        await deps.close()
        await bus.close()


async def test_issued_token_gets_in_and_the_dev_token_still_works(suite: Suite) -> None:
    issued = await suite.issue()
    assert await suite.status(issued.token) == 200
    assert await suite.status(DEV_TOKEN) == 200


async def test_wrong_token_is_401(suite: Suite) -> None:
    issued = await suite.issue()
    for token in ("wrong", issued.token[:-2] + "zz", issued.token.replace("tst_", "tsx_")):
        assert await suite.status(token) == 401


async def test_revoked_token_is_401(suite: Suite) -> None:
    issued = await suite.issue()
    assert await suite.status(issued.token) == 200
    await suite.security.RevokeAccessToken(
        security_pb2.RevokeAccessTokenRequest(token_id=issued.info.token_id),
        metadata=[("x-tstudio-service-token", ADMIN_TOKEN)],
    )
    assert await suite.status(issued.token) == 401


async def test_expired_token_is_401(suite: Suite) -> None:
    issued = await suite.issue(ttl_seconds=60)
    assert await suite.status(issued.token) == 200
    suite.clock.offset = timedelta(seconds=120)
    assert await suite.status(issued.token) == 401


async def test_security_down_is_503_with_retry_after_not_401() -> None:
    async for url, _ in start_gateway(f"127.0.0.1:{free_port()}", cache_seconds=10):
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": "Bearer tst_0123456789abcdef_" + "a" * 43}
            async with session.get(f"{url}/api/v1/commands", headers=headers) as reply:
                assert reply.status == 503
                assert int(reply.headers["Retry-After"]) >= 1
                assert (await reply.json())["error"]["reason"] == "AUTH_UNAVAILABLE"
            # The static tokens do not depend on the security service.
            headers = {"Authorization": f"Bearer {DEV_TOKEN}"}
            async with session.get(f"{url}/api/v1/commands", headers=headers) as reply:
                assert reply.status == 200


async def test_a_verified_token_is_trusted_from_the_cache_while_security_is_down(tmp_path: Path) -> None:
    settings = SecuritySettings(
        port=0,
        data_dir=tmp_path / "security",
        readers=("admin",),
        service_tokens=(f"admin={ADMIN_TOKEN}",),
        log_format="text",
    )
    bus = InProcessBus()
    deps = build_deps(settings, bus)
    handle = create_server(settings, deps)
    await handle.start()
    await handle.set_serving(True)
    address = f"127.0.0.1:{handle.port}"
    try:
        async with grpc.aio.insecure_channel(address) as channel, aiohttp.ClientSession() as session:
            # A cache far longer than the test, so its outcome never depends on timing.
            async for url, _ in start_gateway(address, cache_seconds=3600):
                suite = Suite(security_pb2_grpc.SecurityServiceStub(channel), MovableClock(), url, session)
                issued = await suite.issue()
                assert await suite.status(issued.token) == 200
                await handle.stop(0)
                assert await suite.status(issued.token) == 200
                assert await suite.status(issued.token[:-2] + "zz") == 503
    finally:
        await handle.stop(0)
        await deps.close()
        await bus.close()
