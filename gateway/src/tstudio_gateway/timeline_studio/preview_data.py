"""The per-file preview data (MediaPreviewData, src/features/media/types/preview.ts), kept by the
media service's persistent store: get_media_preview_data, clear_media_preview_data,
get_files_with_previews, save_preview_data / load_preview_data (export to / import from a JSON
file the media service writes and reads, under its allowed roots)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from tstudio.media.v1 import preview_data_pb2 as pd

from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

# MediaPreviewData's parts, each one section of the stored record.
SECTIONS = (
    "browser_thumbnail",
    "timeline_previews",
    "timeline_frames",
    "recognition_frames",
    "recognition_results",
)
# What clear_preview_cache drops (made again on demand).
PREVIEW_SECTIONS = ("browser_thumbnail", "timeline_previews", "timeline_frames")
# Arrays the frontend reads without checking (`timeline_previews.map`): present even when empty.
ARRAY_SECTIONS = ("timeline_previews", "recognition_frames")


@dataclass
class CacheCounters:
    """Preview and metadata cache hits and misses, counted by this gateway process (get_cache_stats)."""

    preview_hits: int = 0
    preview_misses: int = 0
    metadata_hits: int = 0
    metadata_misses: int = 0


async def save_sections(call: TauriCall, file_id: str, file_path: str, sections: dict[str, Any]) -> None:
    request = pd.SavePreviewDataRequest(file_id=file_id, file_path=file_path)
    request.sections.update(sections)
    await call.call("media.save_preview_data", request)


async def load_sections(call: TauriCall, file_id: str) -> pd.PreviewData | None:
    response = await call.call("media.get_preview_data", pd.GetPreviewDataRequest(file_id=file_id))
    return response.data if response.found else None


def media_preview_data(data: pd.PreviewData) -> dict[str, Any]:
    sections: dict[str, Any] = json_format.MessageToDict(data.sections)
    result: dict[str, Any] = {"file_id": data.file_id, "file_path": data.file_path}
    for name in SECTIONS:
        if name in sections:
            result[name] = sections[name]
        elif name in ARRAY_SECTIONS:
            result[name] = []
    result["last_updated"] = data.updated_at.ToJsonString()
    return result


def get_media_preview_data(counters: CacheCounters) -> Handler:
    async def handler(call: TauriCall) -> dict[str, Any] | None:
        data = await load_sections(call, call.args.string("fileId"))
        if data is None:
            counters.preview_misses += 1
            return None
        counters.preview_hits += 1
        return media_preview_data(data)

    return handler


async def clear_media_preview_data(call: TauriCall) -> None:
    await call.call(
        "media.delete_preview_data", pd.DeletePreviewDataRequest(file_id=call.args.string("fileId"))
    )


async def get_files_with_previews(call: TauriCall) -> list[str]:
    """The file ids that have a stored preview (a thumbnail or timeline previews)."""
    found: set[str] = set()
    for section in ("browser_thumbnail", "timeline_previews"):
        response = await call.call("media.list_preview_data", pd.ListPreviewDataRequest(section=section))
        found.update(response.file_ids)
    return sorted(found)


async def save_preview_data(call: TauriCall) -> None:
    await call.call("media.export_preview_data", pd.ExportPreviewDataRequest(path=call.args.string("path")))


async def load_preview_data(call: TauriCall) -> None:
    await call.call("media.import_preview_data", pd.ImportPreviewDataRequest(path=call.args.string("path")))


def commands(counters: CacheCounters) -> list[TauriCommand]:
    return [
        TauriCommand("get_media_preview_data", get_media_preview_data(counters), ("media",)),
        TauriCommand("clear_media_preview_data", clear_media_preview_data, ("media",)),
        TauriCommand("get_files_with_previews", get_files_with_previews, ("media",)),
        TauriCommand("save_preview_data", save_preview_data, ("media",)),
        TauriCommand("load_preview_data", load_preview_data, ("media",)),
    ]
