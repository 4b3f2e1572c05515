# ruff: noqa: F811  (the real-compiler fixtures are imported from test_real_compiler)
"""Replay of the frontend's cache commands (src/features/video-compiler/services/cache-service.ts,
metadata-cache-service.ts, hooks/use-cache-stats.ts) against the real compiler and media services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .conftest import Gateway
from .test_real_compiler import compiler_service, real_gateway  # noqa: F401 (fixtures)
from .test_websocket import ws_url
from .timeline_studio_client import Rejected, TauriSocket, is_int, is_number


@pytest.fixture
async def tauri(real_gateway: Gateway) -> AsyncIterator[TauriSocket]:
    socket = TauriSocket(
        await real_gateway.session.ws_connect(ws_url(real_gateway), headers=real_gateway.headers())
    )
    try:
        yield socket
    finally:
        await socket.close()


def metadata(path: str) -> dict[str, object]:
    """MediaMetadata as use-media-processor.ts's cacheMetadataIfValid builds it."""
    return {
        "file_path": path,
        "file_size": 12345,
        "modified_time": "2026-12-04T20:00:00.000Z",
        "duration": 1.0,
        "resolution": [160, 120],
        "fps": 30,
        "bitrate": 250000,
        "video_codec": "h264",
        "audio_codec": "aac",
        "cached_at": "2026-12-04T20:00:01.000Z",
    }


def assert_usage(usage: dict[str, object]) -> None:
    for key in ("preview_bytes", "metadata_bytes", "render_bytes", "total_bytes"):
        assert is_int(usage[key]) and usage[key] >= 0  # type: ignore[operator]
    assert usage["total_bytes"] == sum(usage[k] for k in ("preview_bytes", "metadata_bytes", "render_bytes"))  # type: ignore[misc]


async def test_metadata_cache_round_trip_and_stats(tauri: TauriSocket, real_gateway: Gateway) -> None:
    path = str(real_gateway.media.video)
    assert await tauri.invoke("get_cached_metadata", {"filePath": path + ".nope"}) is None
    assert await tauri.invoke("cache_media_metadata", {"filePath": path, "metadata": metadata(path)}) is None
    cached = await tauri.invoke("get_cached_metadata", {"filePath": path})
    assert cached == metadata(path)
    stats = await tauri.invoke("get_cache_stats")
    for key in ("total_entries", "preview_hits", "preview_misses", "metadata_hits", "metadata_misses"):
        assert is_int(stats[key])
    assert stats["metadata_hits"] >= 1 and stats["metadata_misses"] >= 1
    assert (
        is_number(stats["cache_size_mb"])
        and is_number(stats["hit_ratio"])
        and is_number(stats["preview_hit_ratio"])
    )
    assert_usage(stats["memory_usage"])
    assert stats["memory_usage"]["metadata_bytes"] > 0
    usage = await tauri.invoke("get_cache_memory_usage")
    assert_usage(usage)
    assert is_number(await tauri.invoke("get_cache_size"))


async def test_clearing_caches(tauri: TauriSocket, real_gateway: Gateway) -> None:
    video = str(real_gateway.media.video)
    thumb = {"fileId": "cache-f", "filePath": video, "width": 32, "height": 24, "timestamp": 0}
    await tauri.invoke("generate_media_thumbnail", thumb)
    await tauri.invoke("cache_media_metadata", {"filePath": video, "metadata": metadata(video)})
    assert "cache-f" in await tauri.invoke("get_files_with_previews")
    assert await tauri.invoke("clear_preview_cache") is None
    assert "cache-f" not in await tauri.invoke("get_files_with_previews")
    # The metadata cache is not a preview: it stays.
    assert await tauri.invoke("get_cached_metadata", {"filePath": video}) is not None
    assert await tauri.invoke("clear_all_cache") is None
    assert await tauri.invoke("get_cached_metadata", {"filePath": video}) is None
    assert await tauri.invoke("clear_app_cache") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"filePath": "/a.mp4"}, "metadata is required"),
        ({"filePath": "/a.mp4", "metadata": {"file_path": "/a.mp4"}}, "metadata.file_size is required"),
        (
            {"filePath": "/a.mp4", "metadata": {**metadata("/a.mp4"), "duration": "1.0"}},
            "metadata.duration must be a number, got a string",
        ),
        (
            {"filePath": "/a.mp4", "metadata": {**metadata("/a.mp4"), "resolution": [160]}},
            "metadata.resolution must be [width, height]",
        ),
    ],
)
async def test_cache_media_metadata_refuses_bad_shapes(
    tauri: TauriSocket, args: dict[str, object], message: str
) -> None:
    with pytest.raises(Rejected, match=message.replace("[", r"\[").replace("]", r"\]")):
        await tauri.invoke("cache_media_metadata", args)


async def test_configure_cache_is_refused_with_the_reason(tauri: TauriSocket) -> None:
    with pytest.raises(Rejected, match="set by the operator"):
        await tauri.invoke(
            "configure_cache", {"max_memory_mb": 512, "max_entries": 1000, "auto_cleanup": True}
        )
    with pytest.raises(Rejected, match="max_entries must be a number"):
        await tauri.invoke("configure_cache", {"max_entries": "many"})
