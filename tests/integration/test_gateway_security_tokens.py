"""Gateway bearer tokens checked by the real security service (GATEWAY_TOKEN_SOURCE=security):
an issued token gets in; wrong, revoked and expired ones are 401; security down is 503, not 401;
a token's scopes decide which commands and event subjects it reaches (403 naming the missing scope)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest
from svckit.bus import EventBus, InProcessBus
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

    async def issue(
        self, ttl_seconds: int = 0, scopes: tuple[str, ...] = ("media",)
    ) -> security_pb2.IssueAccessTokenResponse:
        return await self.security.IssueAccessToken(
            security_pb2.IssueAccessTokenRequest(subject="alice", scopes=scopes, ttl_seconds=ttl_seconds),
            metadata=[("x-tstudio-service-token", ADMIN_TOKEN)],
        )

    async def token(self, *scopes: str) -> str:
        return (await self.issue(scopes=scopes)).token

    async def invoke(self, token: str, command: str, args: object = None) -> tuple[int, dict[str, Any]]:
        async with self.session.post(
            f"{self.url}/api/v1/invoke/{command}",
            json=args or {},
            headers={"Authorization": f"Bearer {token}"},
        ) as reply:
            return reply.status, await reply.json()

    async def status(self, token: str) -> int:
        async with self.session.get(
            f"{self.url}/api/v1/commands", headers={"Authorization": f"Bearer {token}"}
        ) as reply:
            return reply.status


async def start_gateway(
    security_addr: str, cache_seconds: float, bus: EventBus | None = None
) -> AsyncIterator[tuple[str, Backends]]:
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
    handle = await start_server(settings, GatewayDeps(backends, verifier, EventRelay(bus)))
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
            async for url, _ in start_gateway(address, cache_seconds=0, bus=bus):
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


async def test_a_token_reaches_the_commands_of_the_services_it_has_scopes_for(suite: Suite) -> None:
    security = await suite.token("security")
    status, body = await suite.invoke(security, "list_secrets")
    assert status == 200, body
    media = await suite.token("media")
    status, body = await suite.invoke(media, "list_secrets")
    assert status == 403, body
    error = body["error"]
    assert error["code"] == "PERMISSION_DENIED" and error["reason"] == "MISSING_SCOPE"
    assert error["missing_scopes"] == ["security"] and "'security'" in error["message"]
    # Any valid token may ask for the services' health.
    assert (await suite.invoke(media, "check_services_health"))[0] == 200


async def test_management_commands_need_the_admin_scope_and_admin_alone_is_not_a_service(
    suite: Suite,
) -> None:
    secret = {"name": "vimeo-key", "value": "sk-0123456789abcdef"}
    status, body = await suite.invoke(await suite.token("security"), "put_secret", secret)
    assert status == 403 and body["error"]["missing_scopes"] == ["admin"]
    status, body = await suite.invoke(await suite.token("compiler"), "load_plugin", {"path": "/nowhere"})
    assert status == 403 and body["error"]["missing_scopes"] == ["admin"]
    admin = await suite.token("admin")
    status, body = await suite.invoke(admin, "put_secret", secret)
    assert status == 200, body
    status, body = await suite.invoke(admin, "list_secrets")
    assert status == 403 and body["error"]["missing_scopes"] == ["security"]


async def test_the_static_dev_token_and_a_token_with_every_scope_reach_everything(suite: Suite) -> None:
    # The static tokens carry '*'. (The security service does not issue '*' itself: its scope
    # names must start with a letter or digit.)
    every = await suite.token("admin", "compiler", "media", "recognition", "security")
    secret = {"name": "tiktok-key", "value": "sk-0123456789abcdef"}
    for token in (DEV_TOKEN, every):
        assert (await suite.invoke(token, "put_secret", secret))[0] == 200
        status, body = await suite.invoke(token, "list_secrets")
        assert status == 200 and "tiktok-key" in json.dumps(body)


async def test_over_websocket_a_missing_scope_is_an_error_frame_and_the_socket_stays_open(
    suite: Suite,
) -> None:
    media = await suite.token("media")
    url = suite.url.replace("http://", "ws://") + "/api/v1/ws"
    async with suite.session.ws_connect(url, headers={"Authorization": f"Bearer {media}"}) as ws:

        async def send(message: dict[str, Any]) -> dict[str, Any]:
            await ws.send_json(message)
            reply: dict[str, Any] = json.loads(await ws.receive_str(timeout=10))
            return reply

        reply = await send({"id": "1", "type": "invoke", "command": "load_plugin", "args": {}})
        assert reply["id"] == "1" and reply["type"] == "error"
        assert reply["error"]["status"] == 403 and reply["error"]["missing_scopes"] == ["admin"]
        reply = await send({"id": "2", "type": "subscribe", "subject": "tstudio.compiler.render.*.progress"})
        assert reply["type"] == "error" and reply["error"]["missing_scopes"] == ["compiler"]
        reply = await send({"id": "3", "type": "subscribe", "subject": "tstudio.>"})
        assert reply["error"]["missing_scopes"] == ["compiler", "recognition", "security"]
        # Its own service's events are fine, and the socket still answers.
        reply = await send({"id": "4", "type": "subscribe", "subject": "tstudio.media.>"})
        assert reply["type"] == "subscribed", reply
        assert (await send({"id": "5", "type": "ping"}))["type"] == "pong"


async def test_server_sent_events_need_the_publishing_services_scope(suite: Suite) -> None:
    headers = {"Authorization": f"Bearer {await suite.token('media')}"}
    async with suite.session.get(
        f"{suite.url}/api/v1/events", params={"subject": "tstudio.compiler.render.job-1.*"}, headers=headers
    ) as reply:
        assert reply.status == 403
        assert (await reply.json())["error"]["missing_scopes"] == ["compiler"]
