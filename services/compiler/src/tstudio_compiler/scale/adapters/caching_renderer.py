"""A `SegmentRenderer` that consults the segment cache first: an unchanged segment (same content
key) is taken from the cache, a new one is rendered by the wrapped renderer and then stored."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.domain.render_ports import SegmentRenderer, SegmentTask

log = logging.getLogger(__name__)


async def render_with_cache(
    renderer: SegmentRenderer, cache: SegmentCache | None, task: SegmentTask
) -> tuple[Path, bool]:
    """The task's segment file and whether it came from the cache. Reads and writes the cache only
    when there is one and `task.use_cache` is set."""
    if cache is None or not task.use_cache:
        return await renderer.render(task), False
    if await asyncio.to_thread(cache.fetch, task.segment.key, task.output_path):
        log.debug("segment %d of job %s reused from cache", task.segment.index, task.job_id)
        return task.output_path, True
    path = await renderer.render(task)
    await asyncio.to_thread(cache.put, task.segment.key, path)
    return path, False


class CachingRenderer:
    """A `SegmentRenderer` for the single-process path; counts what it reused."""

    def __init__(self, inner: SegmentRenderer, cache: SegmentCache) -> None:
        self.inner = inner
        self.cache = cache
        self.reused = 0
        self.rendered = 0

    async def render(self, task: SegmentTask) -> Path:
        path, reused = await render_with_cache(self.inner, self.cache, task)
        if reused:
            self.reused += 1
        else:
            self.rendered += 1
        return path
