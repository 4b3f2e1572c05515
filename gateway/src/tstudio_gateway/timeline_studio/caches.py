"""Caches as the frontend sees them (src/features/video-compiler/types/cache.ts,
services/cache-service.ts, services/metadata-cache-service.ts): get_cache_stats, get_cache_size,
get_cache_memory_usage, clear_preview_cache, clear_all_cache, clear_app_cache, configure_cache,
cache_media_metadata, get_cached_metadata.

What backs them: the compiler's segment cache (render bytes) and the media service's persistent
preview data store (previews, and the frontend's metadata cache as a `media_metadata` section).
Hits and misses are counted by this gateway process since it started.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from svckit.errors import FailedPrecondition
from tstudio.compiler.v1 import compiler_pb2
from tstudio.media.v1 import preview_data_pb2 as pd

from tstudio_gateway.timeline_studio.preview_data import (
    PREVIEW_SECTIONS,
    CacheCounters,
    load_sections,
    save_sections,
)
from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

METADATA_SECTION = "media_metadata"
METADATA_PREFIX = "metadata:"
MIB = 1024 * 1024


def _ratio(hits: int, misses: int) -> float:
    return hits / (hits + misses) if hits + misses else 0.0


async def _usage(call: TauriCall) -> tuple[dict[str, int], int]:
    """CacheMemoryUsage and the number of entries."""
    stats = await call.call("compiler.get_cache_stats", compiler_pb2.GetCacheStatsRequest())
    everything = await call.call("media.list_preview_data", pd.ListPreviewDataRequest())
    metadata = await call.call("media.list_preview_data", pd.ListPreviewDataRequest(section=METADATA_SECTION))
    metadata_bytes = int(metadata.stored_bytes)
    preview_bytes = max(0, int(everything.stored_bytes) - metadata_bytes)
    render_bytes = int(stats.stats.bytes)
    usage = {
        "preview_bytes": preview_bytes,
        "metadata_bytes": metadata_bytes,
        "render_bytes": render_bytes,
        "total_bytes": preview_bytes + metadata_bytes + render_bytes,
    }
    return usage, len(everything.file_ids) + int(stats.stats.entries)


def get_cache_stats(counters: CacheCounters) -> Handler:
    async def handler(call: TauriCall) -> dict[str, Any]:
        usage, entries = await _usage(call)
        return {
            "total_entries": entries,
            "preview_hits": counters.preview_hits,
            "preview_misses": counters.preview_misses,
            "metadata_hits": counters.metadata_hits,
            "metadata_misses": counters.metadata_misses,
            "memory_usage": usage,
            "cache_size_mb": usage["total_bytes"] / MIB,
            "hit_ratio": _ratio(
                counters.preview_hits + counters.metadata_hits,
                counters.preview_misses + counters.metadata_misses,
            ),
            "preview_hit_ratio": _ratio(counters.preview_hits, counters.preview_misses),
        }

    return handler


async def get_cache_size(call: TauriCall) -> float:
    """Megabytes."""
    usage, _ = await _usage(call)
    return usage["total_bytes"] / MIB


async def get_cache_memory_usage(call: TauriCall) -> dict[str, int]:
    usage, _ = await _usage(call)
    return usage


async def clear_preview_cache(call: TauriCall) -> None:
    """Drops every file's stored previews (thumbnails, timeline previews and frames; they are made
    again on demand); recognition results and cached metadata stay."""
    await call.call(
        "media.delete_preview_data", pd.DeletePreviewDataRequest(all_files=True, sections=PREVIEW_SECTIONS)
    )


def clear_everything(counters: CacheCounters) -> Handler:
    async def handler(call: TauriCall) -> None:
        """The compiler's segment cache and every stored preview record."""
        await call.call("compiler.clear_cache", compiler_pb2.ClearCacheRequest())
        await call.call("media.delete_preview_data", pd.DeletePreviewDataRequest(all_files=True))
        counters.preview_hits = counters.preview_misses = counters.metadata_hits = (
            counters.metadata_misses
        ) = 0

    return handler


async def configure_cache(call: TauriCall) -> None:
    """Validated, then refused: the cache limits belong to the operator here."""
    call.args.number("max_memory_mb", required=False, minimum=0)
    call.args.integer("max_entries", required=False, minimum=0)
    call.args.boolean("auto_cleanup", required=False)
    raise FailedPrecondition(
        "configure_cache: cache limits are set by the operator of this backend "
        "(COMPILER_SEGMENT_CACHE_BYTES, MEDIA_CACHE_MAX_BYTES), not per client",
        reason="CACHE_CONFIGURED_BY_OPERATOR",
    )


def _metadata_id(file_path: str) -> str:
    return METADATA_PREFIX + file_path


async def cache_media_metadata(call: TauriCall) -> None:
    file_path = call.args.string("filePath")
    metadata = call.args.nested("metadata")
    # MediaMetadata (src/types/media.ts): the fields it must have, with their types.
    metadata.string("file_path")
    metadata.number("file_size", minimum=0)
    metadata.string("modified_time")
    metadata.number("duration", minimum=0)
    metadata.string("cached_at")
    for optional in ("fps", "bitrate"):
        metadata.number(optional, required=False, minimum=0)
    for optional in ("video_codec", "audio_codec"):
        metadata.string(optional, required=False, non_empty=False)
    resolution = metadata.raw.get("resolution")
    if resolution is not None and (
        not isinstance(resolution, list)
        or len(resolution) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in resolution)
    ):
        raise metadata.error("resolution", "must be [width, height], two positive numbers")
    # Keyed by the path, with no file path of its own: this record is the frontend's metadata cache,
    # not one of its files' preview data (recognition results are not added to it).
    await save_sections(call, _metadata_id(file_path), "", {METADATA_SECTION: metadata.raw})


def get_cached_metadata(counters: CacheCounters) -> Handler:
    async def handler(call: TauriCall) -> dict[str, Any] | None:
        data = await load_sections(call, _metadata_id(call.args.string("filePath")))
        value = None
        if data is not None and METADATA_SECTION in data.sections:
            value = json_format.MessageToDict(data.sections)[METADATA_SECTION]
        if value is None:
            counters.metadata_misses += 1
            return None
        counters.metadata_hits += 1
        result: dict[str, Any] = value
        return result

    return handler


def commands(counters: CacheCounters) -> list[TauriCommand]:
    return [
        TauriCommand("get_cache_stats", get_cache_stats(counters), ("compiler", "media")),
        TauriCommand("get_cache_size", get_cache_size, ("compiler", "media")),
        TauriCommand("get_cache_memory_usage", get_cache_memory_usage, ("compiler", "media")),
        TauriCommand("clear_preview_cache", clear_preview_cache, ("media",)),
        TauriCommand("clear_all_cache", clear_everything(counters), ("media", "admin")),
        TauriCommand("clear_app_cache", clear_everything(counters), ("media", "admin")),
        TauriCommand("configure_cache", configure_cache, ("compiler",)),
        TauriCommand("cache_media_metadata", cache_media_metadata, ("media",)),
        TauriCommand("get_cached_metadata", get_cached_metadata(counters), ("media",)),
    ]
