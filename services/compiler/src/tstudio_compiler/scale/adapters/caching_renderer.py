"""A `SegmentRenderer` that consults the segment cache first: an unchanged segment (same content
key) is taken from the cache, a new one is rendered by the wrapped renderer and then stored."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.domain.render_ports import SegmentRenderer, SegmentTask

log = logging.getLogger(__name__)


class CachingRenderer:
    def __init__(
        self, inner: SegmentRenderer, cache: SegmentCache, *, read: bool = True, write: bool = True
    ) -> None:
        # read/write False gives `--no-cache`: render from scratch and leave the cache untouched.
        self.inner = inner
        self.cache = cache
        self.read = read
        self.write = write
        self.reused = 0
        self.rendered = 0

    async def render(self, task: SegmentTask) -> Path:
        target = task.output_path
        if self.read and await asyncio.to_thread(self.cache.fetch, task.segment.key, target):
            self.reused += 1
            log.debug("segment %d of job %s reused from cache", task.segment.index, task.job_id)
            return target
        path = await self.inner.render(task)
        self.rendered += 1
        if self.write:
            await asyncio.to_thread(self.cache.put, task.segment.key, path)
        return path
