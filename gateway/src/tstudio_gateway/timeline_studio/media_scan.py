"""Folder scans and batches with the frontend's `media-processor` events: scan_media_folder(
_with_thumbnails), process_media_files(_with_thumbnails), cancel_media_processing
(src/features/media/hooks/use-media-processor.ts).

Events, in the order the Tauri backend sent them: FilesDiscovered (every file found, with the id
the later events use), then per file ScanProgress, MetadataReady (or ProcessingError) and, when
thumbnails are asked for, ThumbnailReady (`thumbnail_data` base64 JPEG; no thumbnail file, so
`thumbnail_path` is empty). The command answers the MediaFile list of the files that could be read.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from pathlib import PurePath
from typing import Any, TypeVar

from svckit.errors import Cancelled
from tstudio.media.v1 import media_pb2, preview_data_pb2

from tstudio_gateway.timeline_studio.media_shapes import media_file, new_file_id
from tstudio_gateway.timeline_studio.registry import TauriCall, TauriCommand

EVENT = "media-processor"
MAX_THUMBNAIL_SIDE = 4096
T = TypeVar("T")


class RunningScans:
    """The scans and batches running for each caller, so cancel_media_processing can stop them."""

    def __init__(self) -> None:
        self._tasks: dict[str, set[asyncio.Task[Any]]] = {}

    async def run(self, call: TauriCall, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        tasks = self._tasks.setdefault(call.caller.id, set())
        tasks.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                raise Cancelled(f"{call.name}: cancelled by cancel_media_processing") from None
            raise
        finally:
            tasks.discard(task)
            if not tasks:
                self._tasks.pop(call.caller.id, None)

    def cancel(self, caller_id: str) -> int:
        tasks = self._tasks.get(caller_id, set())
        for task in tasks:
            task.cancel()
        return len(tasks)


def _thumbnail_size(call: TauriCall) -> tuple[int, int]:
    width = call.args.integer("width", minimum=1, maximum=MAX_THUMBNAIL_SIDE)
    height = call.args.integer("height", minimum=1, maximum=MAX_THUMBNAIL_SIDE)
    return width, height


def _discovered(entry: preview_data_pb2.MediaFileEntry, file_id: str) -> dict[str, Any]:
    return {
        "id": file_id,
        "path": entry.path,
        "name": entry.name,
        "extension": entry.extension,
        "size": int(entry.size_bytes),
    }


class _Events:
    """The events of one scan or batch, sent to the caller's `media-processor` listeners."""

    def __init__(self, call: TauriCall, total: int) -> None:
        self.call, self.total, self.current = call, total, 0

    async def send(self, kind: str, data: dict[str, Any]) -> None:
        await self.call.emit(EVENT, {"type": kind, "data": data})

    async def item(
        self, file_id: str, path: str, info: media_pb2.MediaInfo | None, error: str, thumbnail: bytes
    ) -> dict[str, Any] | None:
        """Progress, then the file's metadata or error, then its thumbnail; answers the MediaFile."""
        self.current += 1
        await self.send("ScanProgress", {"current": self.current, "total": self.total})
        if info is None:
            await self.send("ProcessingError", {"file_id": file_id, "file_path": path, "error": error})
            return None
        metadata = media_file(info, file_id)
        await self.send("MetadataReady", {"file_id": file_id, "file_path": path, "metadata": metadata})
        if thumbnail:
            await self.send(
                "ThumbnailReady",
                {
                    "file_id": file_id,
                    "file_path": path,
                    "thumbnail_path": "",
                    "thumbnail_data": base64.b64encode(thumbnail).decode("ascii"),
                },
            )
        return metadata


async def _scan(call: TauriCall, folder: str, thumbnail_width: int) -> list[dict[str, Any]]:
    listing = await call.call(
        "media.list_media_files", preview_data_pb2.ListMediaFilesRequest(root=folder, recursive=True)
    )
    ids = {entry.path: new_file_id() for entry in listing.files}
    events = _Events(call, len(listing.files))
    await events.send(
        "FilesDiscovered",
        {"files": [_discovered(e, ids[e.path]) for e in listing.files], "total": len(listing.files)},
    )
    found: list[dict[str, Any]] = []
    if not listing.files:
        return found
    request = media_pb2.ScanFolderRequest(
        root=folder, recursive=True, thumbnails=thumbnail_width > 0, thumbnail_width=thumbnail_width
    )
    async for update in call.stream("media.scan_folder", request):
        if not update.HasField("item"):
            continue
        item = update.item
        file_id = ids.get(item.path) or new_file_id()
        info = item.info if item.HasField("info") else None
        metadata = await events.item(file_id, item.path, info, item.error.message, item.thumbnail)
        if metadata is not None:
            found.append(metadata)
    return found


async def _batch(call: TauriCall, paths: list[str], size: tuple[int, int] | None) -> list[dict[str, Any]]:
    ids = [new_file_id() for _ in paths]
    events = _Events(call, len(paths))
    discovered = [
        {
            "id": i,
            "path": p,
            "name": PurePath(p).name,
            "extension": PurePath(p).suffix.lower().lstrip("."),
            "size": 0,
        }
        for i, p in zip(ids, paths, strict=True)
    ]
    await events.send("FilesDiscovered", {"files": discovered, "total": len(paths)})
    found: list[dict[str, Any]] = []
    async for result in call.stream("media.probe_batch", media_pb2.ProbeBatchRequest(paths=paths)):
        file_id, path = ids[result.index], paths[result.index]
        info = result.info if result.HasField("info") else None
        thumbnail = b""
        if (
            info is not None
            and size is not None
            and info.kind in (media_pb2.MEDIA_KIND_VIDEO, media_pb2.MEDIA_KIND_IMAGE)
        ):
            picture = await call.call(
                "media.thumbnail",
                media_pb2.ThumbnailRequest(
                    path=path,
                    time_seconds=min(1.0, info.duration_seconds / 2),
                    width=size[0],
                    height=size[1],
                    format=media_pb2.IMAGE_FORMAT_JPEG,
                    mode=media_pb2.SEEK_MODE_FAST,
                ),
            )
            thumbnail = picture.image
        metadata = await events.item(file_id, path, info, result.error.message, thumbnail)
        if metadata is not None:
            found.append(metadata)
    return found


def commands(running: RunningScans) -> list[TauriCommand]:
    async def scan_media_folder(call: TauriCall) -> list[dict[str, Any]]:
        return await running.run(call, _scan(call, call.args.string("folderPath"), 0))

    async def scan_media_folder_with_thumbnails(call: TauriCall) -> list[dict[str, Any]]:
        folder = call.args.string("folderPath")
        width, _height = _thumbnail_size(call)
        return await running.run(call, _scan(call, folder, width))

    async def process_media_files(call: TauriCall) -> list[dict[str, Any]]:
        return await running.run(call, _batch(call, call.args.strings("filePaths"), None))

    async def process_media_files_with_thumbnails(call: TauriCall) -> list[dict[str, Any]]:
        paths = call.args.strings("filePaths")
        return await running.run(call, _batch(call, paths, _thumbnail_size(call)))

    async def cancel_media_processing(call: TauriCall) -> None:
        running.cancel(call.caller.id)

    return [
        TauriCommand("scan_media_folder", scan_media_folder, ("media",)),
        TauriCommand("scan_media_folder_with_thumbnails", scan_media_folder_with_thumbnails, ("media",)),
        TauriCommand("process_media_files", process_media_files, ("media",)),
        TauriCommand("process_media_files_with_thumbnails", process_media_files_with_thumbnails, ("media",)),
        TauriCommand("cancel_media_processing", cancel_media_processing, ("media",)),
    ]
