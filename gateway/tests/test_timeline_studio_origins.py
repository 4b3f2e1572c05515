"""The origins a browser frontend may call from: the development set by default (Timeline Studio's
Next.js and Tauri dev servers, Tauri webviews), nothing in a production configuration unless
listed; the WebSocket handshake is checked too (CORS does not cover it)."""

from __future__ import annotations

import aiohttp
import pytest
from svckit.bus import InProcessBus

from .conftest import Gateway, MediaProcess, start_gateway
from .test_websocket import ws_url

DEV_ORIGINS = (
    "http://localhost:3000",
    "http://localhost:1420",
    "tauri://localhost",
    "http://tauri.localhost",
)
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def ws_status(gateway: Gateway, origin: str) -> int:
    try:
        async with gateway.session.ws_connect(
            ws_url(gateway), headers={**gateway.headers(), "Origin": origin}
        ):
            return 101
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status


@pytest.mark.parametrize("origin", DEV_ORIGINS)
async def test_the_dev_configuration_allows_the_frontends_dev_origins(gateway: Gateway, origin: str) -> None:
    reply = await gateway.session.options(
        f"{gateway.url}/api/v1/invoke/get_media_metadata", headers={**PREFLIGHT, "Origin": origin}
    )
    assert reply.status == 204 and reply.headers["Access-Control-Allow-Origin"] == origin
    assert await ws_status(gateway, origin) == 101


async def test_an_unknown_origin_cannot_open_the_websocket(gateway: Gateway) -> None:
    assert await ws_status(gateway, "https://evil.example") == 403


async def test_a_production_configuration_refuses_them_unless_configured(media_service: MediaProcess) -> None:
    bus = InProcessBus()
    async for production in start_gateway(media_service, None, bus, cors_origins=()):
        url = f"{production.url}/api/v1/invoke/get_media_metadata"
        for origin in DEV_ORIGINS:
            reply = await production.session.options(url, headers={**PREFLIGHT, "Origin": origin})
            assert reply.status == 403
            assert await ws_status(production, origin) == 403
        # A client that is not a browser sends no Origin and is unaffected.
        async with production.session.ws_connect(ws_url(production), headers=production.headers()):
            pass
    async for configured in start_gateway(media_service, None, bus, cors_origins=("https://studio.example",)):
        assert await ws_status(configured, "https://studio.example") == 101
        assert await ws_status(configured, "http://localhost:3000") == 403
    await bus.close()
