"""The HTTP video server: signed URLs from GetStreamUrl, byte-exact ranges per RFC 9110,
conditional requests, and refusal of forged, expired, unsigned and escaping requests."""

from __future__ import annotations

import socket
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_video
from tstudio.media.v1 import media_pb2
from tstudio_media.domain.stream_signing import UrlSigner

from .conftest import RunningMedia, media_settings, start_media

KEY = "test-signing-key-0123456789"


@pytest.fixture
async def root(tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    make_video(folder / "clip.mp4", seconds=1.0, width=160, height=120)
    return folder


@pytest.fixture
async def guarded(tmp_path: Path, root: Path) -> AsyncIterator[RunningMedia]:
    """The service with the library as its only allowed root and one CORS origin."""
    settings = media_settings(tmp_path, allowed_roots=(root,), cors_origins=("https://app.example",))
    async for running in start_media(settings):
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


async def stream_url(service: RunningMedia, path: Path, ttl: int = 0) -> str:
    reply = await service.stub.GetStreamUrl(media_pb2.GetStreamUrlRequest(path=str(path), ttl_seconds=ttl))
    return reply.url


def base_of(url: str) -> str:
    return url.split("?", 1)[0]


def signed(service: RunningMedia, path: str, clock_offset: float = 0.0, ttl: int = 60) -> str:
    """A URL signed with the service's key, possibly by a clock in the past (already expired)."""
    signer = UrlSigner(KEY.encode(), 60, clock=lambda: time.time() + clock_offset)
    query = urllib.parse.urlencode(signer.sign(path, ttl).query)
    return f"{service.runtime.deps.stream_base_url}/v1/stream?{query}"


async def test_get_stream_url_serves_the_whole_file(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession
) -> None:
    clip = root / "clip.mp4"
    reply = await guarded.stub.GetStreamUrl(media_pb2.GetStreamUrlRequest(path=str(clip)))
    assert reply.mime_type == "video/mp4"
    assert reply.expires_at.seconds > time.time()
    async with http.get(reply.url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["ETag"].startswith('"')
        assert await response.read() == clip.read_bytes()
    async with http.head(reply.url) as response:
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == clip.stat().st_size


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),
        ("bytes=-500", -500, None),
        ("bytes=10-20,15-40", 10, 40),  # overlapping: coalesced
        ("bytes=0-9,10-19", 0, 19),  # adjacent: coalesced
        ("bytes=50-999999999", 50, None),  # past the end: to the end
        ("BYTES=5-6", 5, 6),  # the unit is case-insensitive
    ],
)
async def test_ranges_are_byte_exact(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession, header: str, first: int, last: int | None
) -> None:
    data = (root / "clip.mp4").read_bytes()
    size = len(data)
    start = first if first >= 0 else size + first
    end = size - 1 if last is None else last
    async with http.get(await stream_url(guarded, root / "clip.mp4"), headers={"Range": header}) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert await response.read() == data[start : end + 1]


@pytest.mark.parametrize(
    "header",
    ["bytes=abc", "bytes=500-100", "items=0-10", "bytes=", "bytes=0-10,20-30", "bytes=--5", "bytes = 0-5"],
)
async def test_malformed_reversed_or_multipart_ranges_get_the_whole_file(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession, header: str
) -> None:
    data = (root / "clip.mp4").read_bytes()
    async with http.get(await stream_url(guarded, root / "clip.mp4"), headers={"Range": header}) as response:
        assert response.status == 200
        assert "Content-Range" not in response.headers
        assert await response.read() == data


@pytest.mark.parametrize("header", ["bytes=99999999-", "bytes=-0", "bytes=99999999-99999999999"])
async def test_unsatisfiable_ranges_get_416(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession, header: str
) -> None:
    size = (root / "clip.mp4").stat().st_size
    async with http.get(await stream_url(guarded, root / "clip.mp4"), headers={"Range": header}) as response:
        assert response.status == 416
        assert response.headers["Content-Range"] == f"bytes */{size}"


async def test_conditional_requests(guarded: RunningMedia, root: Path, http: aiohttp.ClientSession) -> None:
    url = await stream_url(guarded, root / "clip.mp4")
    data = (root / "clip.mp4").read_bytes()
    async with http.get(url) as response:
        etag = response.headers["ETag"]
        last_modified = response.headers["Last-Modified"]
    async with http.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status == 304
    for validator in (etag, last_modified):
        async with http.get(url, headers={"Range": "bytes=0-9", "If-Range": validator}) as response:
            assert response.status == 206
            assert await response.read() == data[:10]
    for stale in ('"0-0"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT", "garbage"):
        async with http.get(url, headers={"Range": "bytes=0-9", "If-Range": stale}) as response:
            assert response.status == 200, stale
            assert await response.read() == data


async def test_forged_expired_unsigned_and_tampered_urls_are_refused(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession
) -> None:
    url = await stream_url(guarded, root / "clip.mp4")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    forged = {**query, "s": query["s"][:-2] + ("AA" if not query["s"].endswith("AA") else "BB")}
    later = {**query, "e": str(int(query["e"]) + 3600)}
    other_file = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(signed(guarded, "/etc/passwd")).query))
    swapped_path = {**query, "p": other_file["p"]}
    candidates = [
        base_of(url),
        f"{base_of(url)}?{urllib.parse.urlencode(forged)}",
        f"{base_of(url)}?{urllib.parse.urlencode(later)}",
        f"{base_of(url)}?{urllib.parse.urlencode(swapped_path)}",
        signed(guarded, str(root / "clip.mp4"), clock_offset=-7200),  # expired an hour ago
    ]
    for candidate in candidates:
        async with http.get(candidate) as response:
            assert response.status == 403, candidate


async def test_signed_paths_outside_the_roots_are_refused(
    guarded: RunningMedia, root: Path, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    outside = make_video(tmp_path / "secret" / "private.mp4", seconds=0.2, audio_hz=None)
    (root / "link.mp4").symlink_to(outside)
    for path in (
        str(outside),
        str(root / ".." / "secret" / "private.mp4"),
        str(root / "link.mp4"),
        "/etc/passwd",
    ):
        async with http.get(signed(guarded, path)) as response:
            assert response.status == 403, path
    async with http.get(signed(guarded, str(root / "missing.mp4"))) as response:
        assert response.status == 404


async def test_get_stream_url_checks_the_roots(guarded: RunningMedia, tmp_path: Path) -> None:
    outside = make_video(tmp_path / "elsewhere.mp4", seconds=0.2, audio_hz=None)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream_url(guarded, outside)
    assert error_details(caught.value).code == grpc.StatusCode.PERMISSION_DENIED


async def test_cors_only_for_configured_origins(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession
) -> None:
    url = await stream_url(guarded, root / "clip.mp4")
    async with http.get(url, headers={"Origin": "https://app.example", "Range": "bytes=0-0"}) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "Content-Range" in response.headers["Access-Control-Expose-Headers"]
    async with http.get(url, headers={"Origin": "https://evil.example"}) as response:
        assert "Access-Control-Allow-Origin" not in response.headers
    async with http.options(url, headers={"Origin": "https://app.example"}) as response:
        assert response.status == 204
        assert "Range" in response.headers["Access-Control-Allow-Headers"]


async def test_a_busy_video_port_leaves_grpc_serving(tmp_path: Path, root: Path) -> None:
    media_dir_video = root / "clip.mp4"

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = media_settings(tmp_path, http_port=busy.getsockname()[1])
        async for service in start_media(settings):
            assert service.runtime.http is None
            probe = await service.stub.Probe(media_pb2.ProbeRequest(path=str(media_dir_video)))
            assert probe.info.kind == media_pb2.MEDIA_KIND_VIDEO
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stream_url(service, media_dir_video)
            assert error_details(caught.value).reason == "VIDEO_SERVER_OFF"
            reply = await service.stub.GetDiagnostics(media_pb2.GetDiagnosticsRequest())
            item = next(i for i in reply.diagnostics.items if i.name == "video_server.url")
            assert not item.ok and "unavailable" in item.value


async def test_a_file_removed_between_requests_is_404_and_no_precompressed_copy_is_served(
    guarded: RunningMedia, root: Path, http: aiohttp.ClientSession
) -> None:
    clip = root / "clip.mp4"
    # A gzip file beside the video is not what a <video> element asked for.
    (root / "clip.mp4.gz").write_bytes(b"not the video")
    url = await stream_url(guarded, clip)
    async with http.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status == 200 and "Content-Encoding" not in response.headers
        assert await response.read() == clip.read_bytes()
    clip.unlink()
    # Within the second the resolved path is remembered, the missing file is still found missing.
    async with http.get(url, headers={"Range": "bytes=0-9"}) as response:
        assert response.status == 404
