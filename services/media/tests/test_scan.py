"""ScanFolder over a folder of 50 mixed files: every media file streams back with its probe,
thumbnails for pictures, its own error for broken files, and progress events on the bus."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_image, make_video, make_wav
from tstudio.common.v1 import common_pb2
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2

from .conftest import RunningMedia


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 files: 18 videos, 14 WAVs, 10 PNGs, 3 broken .mp4, 3 text files, 2 hidden; 10 in a subfolder."""
    root = tmp_path_factory.mktemp("scan")
    for i in range(18):
        make_video(
            root / ("sub" if i < 5 else ".") / f"v{i:02}.mp4", seconds=0.3, width=64, height=48, audio_hz=None
        )
    for i in range(14):
        make_wav(root / ("sub" if i < 3 else ".") / f"a{i:02}.wav", seconds=0.1)
    for i in range(10):
        make_image(root / ("sub" if i < 2 else ".") / f"i{i:02}.png", width=32, height=24)
    for i in range(3):
        (root / f"broken{i}.mp4").write_bytes(b"\0garbage" * 64)
    for i in range(3):
        (root / f"notes{i}.txt").write_text("not media")
    for i in range(2):
        make_wav(root / f".hidden{i}.wav", seconds=0.1)
    return root


async def scan(service: RunningMedia, **fields: object) -> list[media_pb2.ScanFolderResponse]:
    request = media_pb2.ScanFolderRequest(**fields)
    return [r async for r in service.stub.ScanFolder(request, timeout=120)]


async def test_scan_streams_every_media_file_with_progress(service: RunningMedia, folder: Path) -> None:
    progress_events: list[events_pb2.Event] = []

    async def on_event(event: events_pb2.Event) -> None:
        progress_events.append(event)

    await service.bus.subscribe("tstudio.media.scan.*.progress", on_event)
    replies = await scan(service, root=str(folder), recursive=True, thumbnails=True, scan_id="scan-1")
    items = [r.item for r in replies if r.HasField("item")]
    assert len(items) == 45  # 18 + 14 + 10 + 3 broken; text and hidden files are skipped
    assert len({i.path for i in items}) == 45
    errors = [i for i in items if i.HasField("error")]
    assert sorted(Path(i.path).name for i in errors) == ["broken0.mp4", "broken1.mp4", "broken2.mp4"]
    assert all(e.error.code == "INVALID_ARGUMENT" for e in errors)
    kinds = [i.info.kind for i in items if i.HasField("info")]
    assert kinds.count(media_pb2.MEDIA_KIND_VIDEO) == 18
    assert kinds.count(media_pb2.MEDIA_KIND_AUDIO) == 14
    assert kinds.count(media_pb2.MEDIA_KIND_IMAGE) == 10
    with_thumbnails = [i for i in items if i.thumbnail]
    assert len(with_thumbnails) == 28
    assert all(i.thumbnail_mime_type == "image/jpeg" for i in with_thumbnails)
    done = [r.progress.done for r in replies if r.HasField("item")]
    assert done == list(range(1, 46))
    assert replies[-1].progress.stage == common_pb2.STAGE_COMPLETED
    assert all(r.scan_id == "scan-1" for r in replies)
    for _ in range(100):  # the in-process bus delivers in tasks of its own
        if progress_events and progress_events[-1].progress.progress.stage == common_pb2.STAGE_COMPLETED:
            break
        await asyncio.sleep(0.05)
    subjects = {e.subject for e in progress_events}
    assert subjects == {"tstudio.media.scan.scan-1.progress"}
    assert progress_events[-1].progress.progress.stage == common_pb2.STAGE_COMPLETED


async def test_scan_without_recursion_and_with_extension_filter(service: RunningMedia, folder: Path) -> None:
    top = await scan(service, root=str(folder), recursive=False)
    assert len([r for r in top if r.HasField("item")]) == 13 + 11 + 8 + 3
    wavs = await scan(service, root=str(folder), recursive=True, extensions=[".WAV"])
    names = [Path(r.item.path).name for r in wavs if r.HasField("item")]
    assert len(names) == 14
    assert all(n.endswith(".wav") for n in names)


async def test_scan_of_a_missing_folder_or_a_file(service: RunningMedia, folder: Path) -> None:
    for root, code in (
        (folder / "nope", grpc.StatusCode.NOT_FOUND),
        (folder / "a05.wav", grpc.StatusCode.INVALID_ARGUMENT),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await scan(service, root=str(root))
        assert error_details(caught.value).code == code


async def test_a_second_scan_is_answered_from_the_cache(service: RunningMedia, tmp_path: Path) -> None:
    small = tmp_path / "small"
    for i in range(3):
        make_video(small / f"v{i}.mp4", seconds=0.3, width=64, height=48, audio_hz=None)

    async def hits() -> int:
        reply = await service.stub.GetDiagnostics(media_pb2.GetDiagnosticsRequest())
        return int(next(i.value for i in reply.diagnostics.items if i.name == "cache.hits"))

    first = await scan(service, root=str(small), thumbnails=True)
    before = await hits()
    second = await scan(service, root=str(small), thumbnails=True)
    assert await hits() - before == 6  # a probe and a thumbnail per file

    def thumbnails(replies: list[media_pb2.ScanFolderResponse]) -> list[tuple[str, bytes]]:
        return sorted((r.item.path, r.item.thumbnail) for r in replies if r.HasField("item"))

    assert thumbnails(second) == thumbnails(first)
