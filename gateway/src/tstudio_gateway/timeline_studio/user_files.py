"""Subtitle and user-effect files (src/features/subtitles/hooks/use-subtitles-import.ts and
-export.ts, src/features/effects/utils/user-effects.ts): read_subtitle_file, save_subtitle_file,
get_user_effects_list, load_user_effect, save_user_effect, delete_user_effect,
load_effects_collection, save_effects_collection.

Files live where the media service can reach them: subtitles anywhere under its allowed roots,
user effects and collections in its data directory (paths it answers, so the frontend can hand
them back)."""

from __future__ import annotations

import json
from typing import Any

from tstudio.media.v1 import preview_data_pb2 as pd

from tstudio_gateway.domain.subtitle_formats import EXTENSIONS, content_problem, format_of
from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

EFFECT = "effect"
COLLECTION = "effects-collection"


async def read_subtitle_file(call: TauriCall) -> dict[str, Any]:
    """`{file_path}` -> SubtitleImportResult `{content, format, file_name}`."""
    path = call.args.string("file_path")
    fmt = format_of(path)
    if fmt is None:
        raise call.args.error("file_path", "must be a .srt, .vtt, .ass or .ssa file")
    response = await call.call(
        "media.read_text_file", pd.ReadTextFileRequest(path=path, extensions=EXTENSIONS)
    )
    return {"content": response.content, "format": fmt, "file_name": response.name}


async def save_subtitle_file(call: TauriCall) -> None:
    """`{options: {format, content, output_path}}`; the content must be of the format, the path
    must end in its extension."""
    options = call.args.nested("options")
    fmt = options.string("format").lower()
    content = options.string("content")
    output = options.string("output_path")
    if fmt not in ("srt", "vtt", "ass"):
        raise options.error("format", f"must be srt, vtt or ass, got {fmt!r}")
    problem = content_problem(fmt, content)
    if problem is not None:
        raise options.error("content", f"is not {fmt.upper()}: {problem}")
    if format_of(output) != fmt:
        raise options.error("output_path", f"must end in .{fmt}" + (" or .ssa" if fmt == "ass" else ""))
    await call.call(
        "media.write_text_file", pd.WriteTextFileRequest(path=output, content=content, extensions=EXTENSIONS)
    )


def _json_text(call: TauriCall, key: str) -> str:
    """A JSON document the frontend sends as a string (JSON.stringify(...))."""
    text = call.args.string(key)
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise call.args.error(key, f"is not JSON text: {exc}") from None
    if not isinstance(value, dict):
        raise call.args.error(key, "must be a JSON object")
    return text


def save_file(kind: str, content_key: str) -> Handler:
    async def handler(call: TauriCall) -> str:
        """`{fileName, <content_key>}` -> the saved file's path."""
        name = call.args.string("fileName")
        content = _json_text(call, content_key)
        response = await call.call(
            "media.save_user_file", pd.SaveUserFileRequest(kind=kind, name=name, content=content)
        )
        return str(response.path)

    return handler


async def load_file(call: TauriCall) -> str:
    """`{filePath}` -> the file's JSON text (the frontend JSON.parses it)."""
    response = await call.call(
        "media.read_user_file", pd.ReadUserFileRequest(path=call.args.string("filePath"))
    )
    return str(response.content)


async def get_user_effects_list(call: TauriCall) -> list[str]:
    response = await call.call("media.list_user_files", pd.ListUserFilesRequest(kind=EFFECT))
    return list(response.paths)


async def delete_user_effect(call: TauriCall) -> None:
    await call.call("media.delete_user_file", pd.DeleteUserFileRequest(path=call.args.string("filePath")))


async def create_timeline_project(call: TauriCall) -> None:
    """`{projectData (JSON text), outputPath}`: the project written as a .json file (atomically, under
    the media service's allowed roots)."""
    content = _json_text(call, "projectData")
    output = call.args.string("outputPath")
    await call.call(
        "media.write_text_file", pd.WriteTextFileRequest(path=output, content=content, extensions=["json"])
    )


COMMANDS = [
    TauriCommand("create_timeline_project", create_timeline_project, ("media",)),
    TauriCommand("read_subtitle_file", read_subtitle_file, ("media",)),
    TauriCommand("save_subtitle_file", save_subtitle_file, ("media",)),
    TauriCommand("get_user_effects_list", get_user_effects_list, ("media",)),
    TauriCommand("load_user_effect", load_file, ("media",)),
    TauriCommand("save_user_effect", save_file(EFFECT, "effect"), ("media",)),
    TauriCommand("delete_user_effect", delete_user_effect, ("media",)),
    TauriCommand("load_effects_collection", load_file, ("media",)),
    TauriCommand("save_effects_collection", save_file(COLLECTION, "collection"), ("media",)),
]
