"""The scale-out RPCs of the compiler: FindMissingMedia / RelinkMedia (through `RelinkRpc`),
ClearCache / GetCacheStats (the segment cache), and the fingerprint ledger recorded on each render.

The servicer delegates to `ScaleRpc` one line per RPC; this keeps the scale wiring out of the
servicer that other RPC groups share.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from svckit.paths import AllowedRoots
from tstudio.compiler.v1 import compiler_pb2, project_pb2

from tstudio_compiler.adapters.segmented_renderer import SegmentedRenderer
from tstudio_compiler.domain.compiler import Compiler
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.api.relink_rpc import RelinkRpc
from tstudio_compiler.settings import CompilerSettings

log = logging.getLogger(__name__)

# Runs a no-argument callable in the blocking pool (Compiler.run_blocking).
RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


class ScaleRpc:
    """`cache` None: the compiler renders in one pass (COMPILER_SEGMENT_CACHE_BYTES=0)."""

    def __init__(self, relink: RelinkRpc, cache: SegmentCache | None, run_blocking: RunBlocking) -> None:
        self.relink = relink
        self.cache = cache
        self._run = run_blocking

    @classmethod
    def for_compiler(cls, settings: CompilerSettings, compiler: Compiler) -> ScaleRpc:
        async def run_with_args(fn: Callable[..., Any], *args: Any) -> Any:
            return await compiler.run_blocking(partial(fn, *args))

        segmented = compiler.diagnostics
        cache = segmented.cache if isinstance(segmented, SegmentedRenderer) else None
        return cls(
            RelinkRpc(AllowedRoots(settings.allowed_roots, settings.base_dir), run_with_args),
            cache,
            compiler.run_blocking,
        )

    async def find_missing_media(
        self, request: compiler_pb2.FindMissingMediaRequest
    ) -> compiler_pb2.FindMissingMediaResponse:
        return await self.relink.find_missing_media(request)

    async def relink_media(
        self, request: compiler_pb2.RelinkMediaRequest
    ) -> compiler_pb2.RelinkMediaResponse:
        return await self.relink.relink_media(request)

    async def record_sources(self, project: project_pb2.Project) -> None:
        """Fingerprint the sources of a project being rendered into its ledger, so that a source
        moved or renamed later is found by content. A ledger that cannot be written never fails
        the render (RelinkRpc logs it)."""
        try:
            await self.relink.record_sources(project)
        except Exception:
            log.warning("could not record the fingerprints of project %r", project.name, exc_info=True)

    async def clear_cache(self, request: compiler_pb2.ClearCacheRequest) -> compiler_pb2.ClearCacheResponse:
        cache = self.cache
        if cache is None:
            return compiler_pb2.ClearCacheResponse(removed=0)
        removed = await self._run(cache.clear)
        log.info("segment cache cleared: %d entries removed", removed)
        return compiler_pb2.ClearCacheResponse(removed=removed)

    async def get_cache_stats(
        self, request: compiler_pb2.GetCacheStatsRequest
    ) -> compiler_pb2.GetCacheStatsResponse:
        cache = self.cache
        if cache is None:
            return compiler_pb2.GetCacheStatsResponse(stats=compiler_pb2.CacheStats(enabled=False))
        stats = await self._run(cache.stats)
        return compiler_pb2.GetCacheStatsResponse(
            stats=compiler_pb2.CacheStats(
                enabled=True,
                entries=stats.entries,
                bytes=stats.bytes,
                max_bytes=stats.max_bytes,
                hits=stats.hits,
                misses=stats.misses,
                evictions=stats.evictions,
                corrupted=stats.corrupted,
            )
        )
