"""Idle, half-sent and slow-body connections are closed by the gateway (issue 15 item 11), under
small configured timeouts; raw sockets, so nothing on the client side gives up first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from svckit.bus import InProcessBus
from svckit.testing import raw_exchange

from .conftest import TOKEN, Gateway, MediaProcess, start_gateway


@pytest.fixture
async def quick_gateway(media_service: MediaProcess) -> AsyncIterator[Gateway]:
    bus = InProcessBus()
    async for running in start_gateway(
        media_service, None, bus, idle_timeout_seconds=0.5, body_timeout_seconds=0.5
    ):
        yield running
    await bus.close()


async def _exchange(gateway: Gateway, data: bytes) -> tuple[bytes, bool]:
    return await asyncio.to_thread(raw_exchange, gateway.handle.port, data)


async def test_a_connection_that_sends_nothing_is_closed(quick_gateway: Gateway) -> None:
    received, closed = await _exchange(quick_gateway, b"")
    assert closed and received == b""


async def test_half_sent_headers_are_closed(quick_gateway: Gateway) -> None:
    received, closed = await _exchange(quick_gateway, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert closed and received == b""


async def test_an_idle_keep_alive_connection_is_closed_after_its_answer(quick_gateway: Gateway) -> None:
    received, closed = await _exchange(quick_gateway, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert closed
    assert received.startswith(b"HTTP/1.1 200")


async def test_a_body_that_never_arrives_is_408_and_closed(quick_gateway: Gateway) -> None:
    head = (
        b"POST /api/v1/invoke/media.get_diagnostics HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    received, closed = await _exchange(quick_gateway, head)
    assert closed
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"REQUEST_BODY_TIMEOUT" in received
