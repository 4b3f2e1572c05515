"""Runs one ScanFolder: lists the media files, then probes (and thumbnails) them with bounded
parallelism, streaming each as it is ready with progress, mirrored (throttled) on the bus as
`tstudio.media.scan.<id>.progress`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from svckit.errors import Internal, ServiceError
from tstudio.common.v1 import common_pb2
from tstudio.media.v1 import media_pb2

from tstudio_media.api import convert
from tstudio_media.api.cached_media import CachedMedia
from tstudio_media.domain.picture_request import PictureSpec, SeekMode

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

log = logging.getLogger(__name__)

EVENT_EVERY_SECONDS = 0.5
_PICTURE_KINDS = (media_pb2.MEDIA_KIND_VIDEO, media_pb2.MEDIA_KIND_IMAGE)


class FolderScan:
    def __init__(self, deps: MediaDeps, media: CachedMedia) -> None:
        self._deps = deps
        self._media = media

    async def run(
        self,
        root: Path,
        recursive: bool,
        extensions: frozenset[str],
        scan_id: str,
        thumbnail: PictureSpec | None,
    ) -> AsyncIterator[media_pb2.ScanFolderResponse]:
        deps = self._deps
        files = await deps.executor.run(deps.list_media, root, recursive, extensions, deps.roots)
        total = len(files)
        started = time.monotonic()
        first = convert.progress(common_pb2.STAGE_RUNNING, 0, total, message=f"{total} files")
        await deps.events.job_progress("scan", scan_id, first)
        yield media_pb2.ScanFolderResponse(scan_id=scan_id, progress=first)
        limit = asyncio.Semaphore(deps.batch_concurrency)

        async def one(path: Path) -> media_pb2.ScanItem:
            async with limit:
                return await self._item(path, thumbnail)

        tasks = [asyncio.ensure_future(one(p)) for p in files]
        last_event = 0.0
        try:
            for done, next_done in enumerate(asyncio.as_completed(tasks), start=1):
                item = await next_done
                elapsed = time.monotonic() - started
                rate = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / rate if rate > 0 else -1.0
                step = convert.progress(common_pb2.STAGE_RUNNING, done, total, rate, eta)
                if time.monotonic() - last_event >= EVENT_EVERY_SECONDS:
                    last_event = time.monotonic()
                    await deps.events.job_progress("scan", scan_id, step)
                yield media_pb2.ScanFolderResponse(scan_id=scan_id, item=item, progress=step)
        finally:
            for task in tasks:  # the caller may have gone away mid-scan
                task.cancel()
        final = convert.progress(common_pb2.STAGE_COMPLETED, total, total)
        await deps.events.job_progress("scan", scan_id, final)
        await deps.events.job_completed(
            "scan", scan_id, str(root), time.monotonic() - started, {"files": str(total)}
        )
        yield media_pb2.ScanFolderResponse(scan_id=scan_id, progress=final)

    async def _item(self, path: Path, thumbnail: PictureSpec | None) -> media_pb2.ScanItem:
        """One file's probe (and thumbnail); its failure is its own, reported in the item."""
        item = media_pb2.ScanItem(path=str(path))
        try:
            info = await self._media.probe(self._deps.roots.existing_file(path))
            # Audio with cover art gets the cover as its thumbnail.
            shown = info.kind in _PICTURE_KINDS or info.source.attached_picture
            if thumbnail is not None and shown:
                seconds = min(1.0, info.duration_seconds / 2)
                picture = await self._media.thumbnail(Path(info.path), seconds, thumbnail, SeekMode.FAST)
                item.thumbnail, item.thumbnail_mime_type = picture.image, picture.mime_type
            item.info.CopyFrom(info)
        except ServiceError as error:
            item.error.CopyFrom(convert.item_error(error))
        except Exception:
            log.exception("scan of %s failed", path)
            item.error.CopyFrom(convert.item_error(Internal("internal error")))
        return item
