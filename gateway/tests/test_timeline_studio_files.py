"""Replay of the frontend's subtitle and user-effect file commands (src/features/subtitles/hooks,
src/features/effects/utils/user-effects.ts) against the real media service."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .conftest import Gateway
from .test_websocket import ws_url
from .timeline_studio_client import Rejected, TauriSocket

SRT = "1\n00:00:00,000 --> 00:00:01,500\nHello\n\n2\n00:00:02,000 --> 00:00:03,000\nWorld\n"
VTT = "WEBVTT\n\n00:00.000 --> 00:01.500\nHello\n"


@pytest.fixture
async def tauri(gateway: Gateway) -> AsyncIterator[TauriSocket]:
    socket = TauriSocket(await gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers()))
    try:
        yield socket
    finally:
        await socket.close()


async def test_subtitles_export_then_import(tauri: TauriSocket, tmp_path: Path) -> None:
    output = tmp_path / "export" / "subtitles.srt"
    options = {"format": "srt", "content": SRT, "output_path": str(output)}
    assert await tauri.invoke("save_subtitle_file", {"options": options}) is None
    assert output.read_text() == SRT
    assert [p.name for p in output.parent.iterdir()] == ["subtitles.srt"]  # nothing half-written beside it
    result = await tauri.invoke("read_subtitle_file", {"file_path": str(output)})
    assert result == {"content": SRT, "format": "srt", "file_name": "subtitles.srt"}
    vtt = tmp_path / "subs.vtt"
    vtt.write_text(VTT)
    assert (await tauri.invoke("read_subtitle_file", {"file_path": str(vtt)}))["format"] == "vtt"


async def test_user_effects_and_collections_round_trip(tauri: TauriSocket) -> None:
    effect = {
        "id": "u1",
        "name": "Warm",
        "type": "brightness",
        "params": {"intensity": 0.4},
        "isCustom": True,
    }
    path = await tauri.invoke("save_user_effect", {"fileName": "warm-look", "effect": json.dumps(effect)})
    assert isinstance(path, str) and path.endswith("warm-look.json")
    assert path in await tauri.invoke("get_user_effects_list")
    assert json.loads(await tauri.invoke("load_user_effect", {"filePath": path})) == effect
    collection = {"version": "1.0", "effects": [effect]}
    saved = await tauri.invoke(
        "save_effects_collection", {"fileName": "mine", "collection": json.dumps(collection)}
    )
    assert json.loads(await tauri.invoke("load_effects_collection", {"filePath": saved})) == collection
    assert saved not in await tauri.invoke("get_user_effects_list")  # a collection is not an effect
    assert await tauri.invoke("delete_user_effect", {"filePath": path}) is None
    assert path not in await tauri.invoke("get_user_effects_list")


async def test_create_timeline_project_writes_the_json(tauri: TauriSocket, tmp_path: Path) -> None:
    data = {"tracks": [{"id": "t1", "clips": []}], "duration": 12.5}
    output = tmp_path / "work" / "project.json"
    args = {"projectData": json.dumps(data), "outputPath": str(output)}
    assert await tauri.invoke("create_timeline_project", args) is None
    assert json.loads(output.read_text()) == data
    with pytest.raises(Rejected, match="projectData is not JSON text"):
        await tauri.invoke("create_timeline_project", {"projectData": "{oops", "outputPath": str(output)})
    with pytest.raises(Rejected, match=r"must end in one of \.json"):
        await tauri.invoke(
            "create_timeline_project", {"projectData": "{}", "outputPath": str(tmp_path / "p.mp4")}
        )


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        (
            "read_subtitle_file",
            {"file_path": "/tmp/movie.mp4"},
            "file_path must be a .srt, .vtt, .ass or .ssa file",
        ),
        ("read_subtitle_file", {"filePath": "/tmp/a.srt"}, "file_path is required"),
        ("read_subtitle_file", {"file_path": "/no/such/file.srt"}, "no such file"),
        ("save_subtitle_file", {"format": "srt"}, "options is required"),
        (
            "save_subtitle_file",
            {"options": {"format": "srt", "content": "just text", "output_path": "/tmp/x.srt"}},
            "options.content is not SRT",
        ),
        (
            "save_subtitle_file",
            {"options": {"format": "vtt", "content": VTT, "output_path": "/tmp/x.srt"}},
            "options.output_path must end in .vtt",
        ),
        (
            "save_subtitle_file",
            {"options": {"format": "sub", "content": "x", "output_path": "/tmp/x.sub"}},
            "options.format must be srt, vtt or ass",
        ),
        ("save_user_effect", {"fileName": "x", "effect": "{not json"}, "effect is not JSON text"),
        ("save_user_effect", {"fileName": "../escape", "effect": "{}"}, "name"),
        ("save_user_effect", {"fileName": "x", "effect": {"a": 1}}, "effect must be a string, got an object"),
        ("load_user_effect", {"filePath": "/etc/passwd"}, "not one of the user files"),
        ("delete_user_effect", {"filePath": "/etc/hosts"}, "not one of the user files"),
    ],
)
async def test_bad_input_rejects_with_a_clear_message(
    tauri: TauriSocket, command: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        await tauri.invoke(command, args)
    assert message in str(rejected.value)
    assert rejected.value.body["code"] != "INTERNAL"
