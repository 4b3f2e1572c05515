"""The video server's sendfile path with bodies larger than the sockets' buffers: a reader that
falls behind gets every byte, and a reader that leaves or a file cut short mid-body ends the
connection without a descriptor left open."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tstudio.media.v1 import media_pb2

from .conftest import RunningMedia, media_settings, start_media

# Larger than a loopback socket's send buffer (4 MiB at most under Linux's default tcp_wmem) plus
# the reader's small receive buffer, so the server must wait for the socket to drain mid-body.
BIG = 8 * 1024 * 1024
READER_BUFFER = 32 * 1024


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    folder.mkdir()
    path = folder / "big.bin"
    path.write_bytes(os.urandom(BIG))
    return path


@pytest.fixture
async def service(tmp_path: Path, big_file: Path) -> AsyncIterator[RunningMedia]:
    async for running in start_media(media_settings(tmp_path, allowed_roots=(big_file.parent,))):
        yield running


@dataclass
class SlowReader:
    """A raw HTTP/1.1 client with a small receive buffer that stops reading after the headers."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    status: int
    headers: dict[str, str]

    async def read_to_eof(self, limit: int) -> bytes:
        body = bytearray()
        while len(body) < limit:
            chunk = await self.reader.read(256 * 1024)
            if not chunk:
                break
            body += chunk
        return bytes(body)

    def close(self) -> None:
        self.writer.close()


async def slow_get(url: str, range_header: str | None = None) -> SlowReader:
    parts = urllib.parse.urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, READER_BUFFER)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=READER_BUFFER)
    extra = f"Range: {range_header}\r\n" if range_header else ""
    writer.write(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if line)
    # Read nothing for a moment: the server fills both buffers and has to wait for room.
    await asyncio.sleep(0.2)
    return SlowReader(reader, writer, int(head[0].split()[1]), {k.lower(): v for k, v in headers.items()})


async def stream_url(service: RunningMedia, path: Path) -> str:
    return (await service.stub.GetStreamUrl(media_pb2.GetStreamUrlRequest(path=str(path)))).url


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def descriptors_back_to(baseline: int) -> int:
    """The count of open descriptors once it is back to `baseline` (or after 10 s, whatever it is)."""
    for _ in range(100):
        if open_descriptors() <= baseline:
            break
        await asyncio.sleep(0.1)
    return open_descriptors()


async def test_a_reader_that_falls_behind_gets_the_whole_body(service: RunningMedia, big_file: Path) -> None:
    client = await slow_get(await stream_url(service, big_file))
    try:
        assert client.status == 200
        assert int(client.headers["content-length"]) == BIG
        body = await asyncio.wait_for(client.read_to_eof(BIG), 60)
    finally:
        client.close()
    assert body == big_file.read_bytes()


async def test_a_long_range_to_a_slow_reader_is_byte_exact(service: RunningMedia, big_file: Path) -> None:
    first, last = 1000, BIG - 12345
    client = await slow_get(await stream_url(service, big_file), f"bytes={first}-{last}")
    try:
        assert client.status == 206
        assert client.headers["content-range"] == f"bytes {first}-{last}/{BIG}"
        body = await asyncio.wait_for(client.read_to_eof(last - first + 1), 60)
    finally:
        client.close()
    assert body == big_file.read_bytes()[first : last + 1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts descriptors in /proc/self/fd")
async def test_a_reader_gone_mid_body_leaves_no_descriptor_and_the_server_serving(
    service: RunningMedia, big_file: Path
) -> None:
    url = await stream_url(service, big_file)
    baseline = open_descriptors()
    client = await slow_get(url)
    await client.reader.readexactly(64 * 1024)
    # Closing with unread bytes resets the connection mid-body.
    client.close()
    assert await descriptors_back_to(baseline) <= baseline
    again = await slow_get(url)
    try:
        assert await asyncio.wait_for(again.read_to_eof(BIG), 60) == big_file.read_bytes()
    finally:
        again.close()


async def test_a_file_cut_short_mid_body_closes_the_connection(service: RunningMedia, big_file: Path) -> None:
    client = await slow_get(await stream_url(service, big_file))
    try:
        assert int(client.headers["content-length"]) == BIG
        os.truncate(big_file, 1024 * 1024)
        # The promised length can no longer be sent: the connection must end, not hang.
        body = await asyncio.wait_for(client.read_to_eof(BIG), 60)
    finally:
        client.close()
    assert len(body) < BIG
