"""Media files: get_media_metadata, get_media_files, generate_media_thumbnail,
process_media_file_simple (src/features/media/services/media-api.ts, hooks/use-media-preview.ts,
hooks/use-simple-media-processor.ts)."""

from __future__ import annotations

import base64
from pathlib import PurePath
from typing import Any

from svckit.errors import ServiceError
from tstudio.media.v1 import media_pb2, preview_data_pb2

from tstudio_gateway.timeline_studio.media_shapes import media_file, new_file_id, simple_metadata
from tstudio_gateway.timeline_studio.preview_data import save_sections
from tstudio_gateway.timeline_studio.registry import TauriCall, TauriCommand

MAX_THUMBNAIL_SIDE = 4096


async def probe(call: TauriCall, path: str) -> media_pb2.MediaInfo:
    response = await call.call("media.probe", media_pb2.ProbeRequest(path=path))
    info: media_pb2.MediaInfo = response.info
    return info


async def get_media_metadata(call: TauriCall) -> dict[str, Any]:
    return media_file(await probe(call, call.args.string("filePath")))


async def get_media_files(call: TauriCall) -> list[str]:
    """The media files directly in `directory` (not its subfolders), by path."""
    response = await call.call(
        "media.list_media_files",
        preview_data_pb2.ListMediaFilesRequest(root=call.args.string("directory"), recursive=False),
    )
    return [entry.path for entry in response.files]


async def generate_media_thumbnail(call: TauriCall) -> dict[str, Any]:
    """ThumbnailData `{path, base64_data, timestamp, width, height}`; also kept as the file's
    `browser_thumbnail` in the preview data store. There is no thumbnail file: `path` is empty and
    the picture is in `base64_data` (JPEG)."""
    args = call.args
    file_id = args.string("fileId")
    file_path = args.string("filePath")
    width = args.integer("width", minimum=1, maximum=MAX_THUMBNAIL_SIDE)
    height = args.integer("height", minimum=1, maximum=MAX_THUMBNAIL_SIDE)
    timestamp = args.number("timestamp", minimum=0)
    response = await call.call(
        "media.thumbnail",
        media_pb2.ThumbnailRequest(
            path=file_path,
            time_seconds=timestamp,
            width=width,
            height=height,
            format=media_pb2.IMAGE_FORMAT_JPEG,
        ),
    )
    thumbnail = {
        "path": "",
        "base64_data": base64.b64encode(response.image).decode("ascii"),
        "timestamp": response.frame_time_seconds,
        "width": response.width,
        "height": response.height,
    }
    await save_sections(call, file_id, file_path, {"browser_thumbnail": thumbnail})
    return thumbnail


async def process_media_file_simple(call: TauriCall) -> dict[str, Any]:
    """ProcessedMediaFile; a file that cannot be read answers `error` (the frontend shows it per file)."""
    file_path = call.args.string("filePath")
    thumbnail = call.args.boolean("generateThumbnail", required=False, default=False)
    result: dict[str, Any] = {
        "id": new_file_id(),
        "path": file_path,
        "name": PurePath(file_path).name,
        "size": 0,
    }
    try:
        info = await probe(call, file_path)
    except ServiceError as exc:
        if exc.code.value in ("INVALID_ARGUMENT", "NOT_FOUND", "PERMISSION_DENIED", "FAILED_PRECONDITION"):
            result["error"] = exc.message
            return result
        raise
    result["size"] = int(info.size_bytes)
    result["metadata"] = simple_metadata(info)
    if thumbnail and info.kind in (media_pb2.MEDIA_KIND_VIDEO, media_pb2.MEDIA_KIND_IMAGE):
        # The thumbnail is made (and cached by the media service) so the next request is quick;
        # there is no file path to hand out for it.
        await call.call(
            "media.thumbnail",
            media_pb2.ThumbnailRequest(
                path=file_path,
                time_seconds=min(1.0, info.duration_seconds / 2),
                width=320,
                format=media_pb2.IMAGE_FORMAT_JPEG,
            ),
        )
    return result


COMMANDS = [
    TauriCommand("get_media_metadata", get_media_metadata, ("media",)),
    TauriCommand("get_media_files", get_media_files, ("media",)),
    TauriCommand("generate_media_thumbnail", generate_media_thumbnail, ("media",)),
    TauriCommand("process_media_file_simple", process_media_file_simple, ("media",)),
]
