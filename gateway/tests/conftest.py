"""Fixtures: the real media service (as a process, the way `tstudio up` starts it), a test
CompilerService on an in-process grpc.aio server, a real nats-server, and the gateway on a free
port, all on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from svckit.bus import EventBus, InProcessBus, NatsBus
from svckit.channels import open_channel
from svckit.healthcheck import check
from svckit.server import GrpcService, create_server
from svckit.settings import ServiceSettings
from svckit.testing import NatsServer, free_port, make_video, wait_until
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio_gateway.adapters.backends import Backends
from tstudio_gateway.adapters.event_relay import EventRelay
from tstudio_gateway.adapters.http_metrics import HttpMetrics
from tstudio_gateway.domain.auth import StaticTokenVerifier
from tstudio_gateway.server import GatewayDeps, GatewayHandle, start_server
from tstudio_gateway.settings import GatewaySettings

from .render_servicer import RenderServicer

TOKEN = "test-token-1"
OTHER_TOKEN = "test-token-2"


@dataclass
class MediaProcess:
    address: str
    video: Path
    root: Path


@pytest.fixture(scope="session")
def media_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaProcess]:
    """The real media service, started as `python -m tstudio_media`."""
    root = tmp_path_factory.mktemp("gateway-media")
    video = make_video(root / "clip.mp4", seconds=1.0, width=160, height=120, fps=30)
    port = free_port()
    env = {
        **os.environ,
        "MEDIA_HOST": "127.0.0.1",
        "MEDIA_PORT": str(port),
        "MEDIA_DATA_DIR": str(root / "data"),
        "MEDIA_HTTP_PORT": "0",
        "MEDIA_LOG_FORMAT": "text",
        "MEDIA_MAX_WORKERS": "2",
    }
    log = open(root / "media.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tstudio_media"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    address = f"127.0.0.1:{port}"
    try:
        if not wait_until(lambda: process.poll() is not None or check(address, timeout=0.5), timeout=90):
            raise RuntimeError("media service did not start")
        if process.poll() is not None:
            raise RuntimeError("media service exited:\n" + (root / "media.log").read_text()[-2000:])
        yield MediaProcess(address=address, video=video, root=root)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@dataclass
class GatewayProcess:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=0.5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def gateway_process(
    media_service: MediaProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    data_dir = tmp_path_factory.mktemp("suite")
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "GATEWAY_DATA_DIR": str(data_dir / "gateway"),
        "GATEWAY_MEDIA_ADDR": media_service.address,
        "GATEWAY_COMPILER_ADDR": f"127.0.0.1:{free_port()}",
        "GATEWAY_LOG_FORMAT": "text",
    }
    log = open(data_dir / "gateway.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tstudio_gateway"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: process.poll() is not None or healthy(url), timeout=60)
        assert process.poll() is None, (data_dir / "gateway.log").read_text()
        yield GatewayProcess(url=url, data_dir=data_dir, process=process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
        log.close()


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    with NatsServer(jetstream=False) as server:
        yield server


@dataclass
class Compiler:
    address: str
    servicer: RenderServicer


async def start_compiler(bus: EventBus) -> AsyncIterator[Compiler]:
    servicer = RenderServicer(bus)
    handle = create_server(
        ServiceSettings(port=0),
        [
            GrpcService(
                compiler_pb2.DESCRIPTOR.services_by_name["CompilerService"].full_name,
                servicer,
                compiler_pb2_grpc.add_CompilerServiceServicer_to_server,
            )
        ],
        service="compiler",
    )
    await handle.start()
    await handle.set_serving(True)
    try:
        yield Compiler(address=f"127.0.0.1:{handle.port}", servicer=servicer)
    finally:
        await handle.stop(0)


@dataclass
class Gateway:
    url: str
    handle: GatewayHandle
    settings: GatewaySettings
    compiler: Compiler
    media: MediaProcess
    session: aiohttp.ClientSession

    def headers(self, token: str = TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def invoke(
        self, command: str, args: object = None, token: str = TOKEN, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        return await self.session.post(
            f"{self.url}/api/v1/invoke/{command}",
            json=args,
            headers={**self.headers(token), **(headers or {})},
        )


async def start_gateway(
    media: MediaProcess,
    bus: EventBus | None,
    events_bus: EventBus,
    metrics: HttpMetrics | None = None,
    door_spans: bool = True,
    **overrides: object,
) -> AsyncIterator[Gateway]:
    """The gateway in this process, before a test compiler publishing on `events_bus`."""
    async for compiler in start_compiler(events_bus):
        values: dict[str, object] = {
            "port": 0,
            "compiler_addr": compiler.address,
            "media_addr": media.address,
            # Nothing listens here: the recognition and security services are "down".
            "recognition_addr": f"127.0.0.1:{free_port()}",
            "security_addr": "",
            "tokens": (TOKEN, OTHER_TOKEN),
            "rate_limit_per_second": 1000.0,
            "rate_limit_burst": 1000,
            "heartbeat_seconds": 5.0,
        }
        values.update(overrides)
        settings = GatewaySettings(**values)  # type: ignore[arg-type]
        backends = Backends(settings.backend_addresses(), lambda address: open_channel(address))
        deps = GatewayDeps(
            backends=backends,
            verifier=StaticTokenVerifier(settings.tokens),
            relay=EventRelay(bus),
            metrics=metrics,
            door_spans=door_spans,
        )
        handle = await start_server(settings, deps)
        try:
            async with aiohttp.ClientSession() as session:
                yield Gateway(
                    url=f"http://127.0.0.1:{handle.port}",
                    handle=handle,
                    settings=settings,
                    compiler=compiler,
                    media=media,
                    session=session,
                )
        finally:
            await handle.stop()
            await backends.close()


@pytest.fixture
async def gateway(media_service: MediaProcess) -> AsyncIterator[Gateway]:
    """The gateway with no event relay (the compiler publishes to a bus nobody relays)."""
    bus = InProcessBus()
    async for running in start_gateway(media_service, None, bus):
        yield running
    await bus.close()


@pytest.fixture
async def nats_gateway(media_service: MediaProcess, nats_server: NatsServer) -> AsyncIterator[Gateway]:
    """The gateway relaying events from a real nats-server, where the compiler publishes."""
    gateway_bus = await NatsBus.connect(nats_server.url, name="gateway-test")
    compiler_bus = await NatsBus.connect(nats_server.url, name="compiler-test")
    try:
        async for running in start_gateway(media_service, gateway_bus, compiler_bus):
            yield running
    finally:
        await compiler_bus.close()
        await gateway_bus.close()
