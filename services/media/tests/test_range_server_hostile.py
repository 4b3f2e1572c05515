"""The video server under hostile requests (issue 15 items 3, 9 and 11): a path swapped for a
symlink out of the roots after it was served is refused at once (the decision is made on the
opened file, never cached), a FIFO is refused without blocking, Range values of thousands of
digits and signatures with non-ASCII characters are 4xx, and idle, half-sent and slow-body
connections are closed under small configured timeouts."""

from __future__ import annotations

import asyncio
import os
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from svckit.testing import make_video, raw_exchange

from .conftest import RunningMedia, media_settings, start_media
from .test_range_server import stream_url


@pytest.fixture
async def root(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    make_video(folder / "clip.mp4", seconds=0.5, width=64, height=48)
    return folder


@pytest.fixture
async def server(tmp_path: Path, root: Path) -> AsyncIterator[RunningMedia]:
    settings = media_settings(
        tmp_path, allowed_roots=(root,), http_idle_timeout_seconds=0.5, http_body_timeout_seconds=0.5
    )
    async for running in start_media(settings):
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


def _port(service: RunningMedia) -> int:
    return int(service.runtime.deps.stream_base_url.rsplit(":", 1)[1])


async def test_a_file_swapped_for_a_symlink_out_of_the_roots_is_refused_at_once(
    server: RunningMedia, root: Path, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    clip = root / "clip.mp4"
    url = await stream_url(server, clip)
    async with http.get(url) as response:
        assert response.status == 200
        await response.read()
    clip.unlink()
    clip.symlink_to(secret)
    async with http.get(url) as response:
        body = await response.read()
        assert response.status == 403, body
        assert b"root:x" not in body


async def test_a_fifo_is_refused_without_blocking(
    server: RunningMedia, root: Path, http: aiohttp.ClientSession
) -> None:
    clip = root / "clip.mp4"
    url = await stream_url(server, clip)
    clip.unlink()
    os.mkfifo(clip)
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=30)) as response:
        assert response.status == 400, await response.text()


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=" + "9" * 5000 + "-", 416),
        ("bytes=0-" + "9" * 5000, 206),
        ("bytes=-" + "9" * 5000, 206),
        ("bytes=" + "1" * 4000 + "-" + "2" * 4000, 416),
        ("bytes=٠-١", 200),  # Unicode digits are not DIGIT
    ],
    ids=["first", "last", "suffix", "both", "unicode-digits"],
)
async def test_ranges_with_thousands_of_digits_are_answered(
    server: RunningMedia, root: Path, http: aiohttp.ClientSession, header: str, status: int
) -> None:
    url = await stream_url(server, root / "clip.mp4")
    async with http.get(url, headers={"Range": header}) as response:
        assert response.status == status
        if status == 206:
            assert await response.read() == (root / "clip.mp4").read_bytes()


@pytest.mark.parametrize(
    "change",
    [{"s": "sïgnature"}, {"s": "\u200b"}, {"e": "١٧٠٠٠٠٠٠٠٠"}, {"e": "9" * 5000}, {"p": "ü"}],
    ids=["non-ascii-signature", "zero-width", "unicode-expiry", "long-expiry", "non-ascii-path"],
)
async def test_signatures_with_non_ascii_characters_are_403(
    server: RunningMedia, root: Path, http: aiohttp.ClientSession, change: dict[str, str]
) -> None:
    url = await stream_url(server, root / "clip.mp4")
    base, _, query = url.partition("?")
    params = {**dict(urllib.parse.parse_qsl(query)), **change}
    async with http.get(f"{base}?{urllib.parse.urlencode(params)}") as response:
        assert response.status == 403, await response.text()


async def test_idle_and_half_sent_connections_are_closed(server: RunningMedia, root: Path) -> None:
    port = _port(server)
    received, closed = await asyncio.to_thread(raw_exchange, port, b"")
    assert closed and received == b""
    received, closed = await asyncio.to_thread(raw_exchange, port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-")
    assert closed and received == b""
    received, closed = await asyncio.to_thread(
        raw_exchange, port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert closed and received.startswith(b"HTTP/1.1 200")


async def test_a_request_whose_body_never_comes_is_closed(server: RunningMedia, root: Path) -> None:
    url = urllib.parse.urlsplit(await stream_url(server, root / "clip.mp4"))
    head = f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab".encode()
    received, closed = await asyncio.to_thread(raw_exchange, _port(server), head)
    assert closed
    assert received.startswith(b"HTTP/1.1 200")
