"""Replay of the frontend's media commands (src/features/media/**) through the gateway, against
the real media service: the exact argument objects it sends, every field it reads with its JSON
type, and the `media-processor` events of a scan in Tauri's envelope."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from svckit.testing import make_image, make_video

from .conftest import Gateway
from .test_websocket import ws_url
from .timeline_studio_client import Rejected, TauriSocket, is_int, is_number


@pytest.fixture
async def tauri(gateway: Gateway) -> AsyncIterator[TauriSocket]:
    ws = await gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers())
    socket = TauriSocket(ws)
    try:
        yield socket
    finally:
        await socket.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as a user has one: two videos (one in a subfolder), an image, a broken file."""
    root = tmp_path_factory.mktemp("library")
    make_video(root / "a.mp4", seconds=0.5, width=96, height=64, fps=10)
    make_video(root / "sub" / "b.mov", seconds=0.5, width=64, height=48, fps=10, audio_hz=None)
    make_image(root / "still.png", width=40, height=30)
    (root / "broken.mp4").write_bytes(b"not a video at all" * 10)
    (root / "notes.txt").write_text("ignored: not media")
    return root


def assert_media_file(value: dict[str, object]) -> None:
    """The backend MediaFile as use-music-import.ts and the media browser read it."""
    assert isinstance(value["id"], str) and value["id"]
    assert isinstance(value["name"], str) and isinstance(value["path"], str)
    for flag in ("is_video", "is_audio", "is_image"):
        assert isinstance(value[flag], bool)
    assert is_int(value["size"]) and is_int(value["start_time"])
    assert value["duration"] is None or is_number(value["duration"])
    assert isinstance(value["creation_time"], str)
    probe = value["probe_data"]
    assert isinstance(probe, dict)
    assert isinstance(probe["streams"], list) and isinstance(probe["format"], dict)
    for stream in probe["streams"]:
        assert is_int(stream["index"]) and isinstance(stream["codec_type"], str)
        if stream["codec_type"] == "video":
            assert is_int(stream["width"]) and is_int(stream["height"])
            # ffprobe's "num/den" (the frontend splits it on "/"); "0/0" for a still image
            num, den = stream["r_frame_rate"].split("/")
            assert int(num) >= 0 and int(den) >= 0 and (int(num) > 0 or value["is_image"])


async def test_get_media_metadata_answers_the_backend_media_file(
    tauri: TauriSocket, gateway: Gateway
) -> None:
    video = str(gateway.media.video)
    value = await tauri.invoke("get_media_metadata", {"filePath": video})
    assert_media_file(value)
    assert value["is_video"] is True and value["path"] == video
    assert 0.9 <= value["duration"] <= 1.2
    streams = value["probe_data"]["streams"]
    video_stream = next(s for s in streams if s["codec_type"] == "video")
    assert (video_stream["width"], video_stream["height"], video_stream["r_frame_rate"]) == (160, 120, "30/1")
    assert is_int(value["probe_data"]["format"]["size"])


async def test_get_media_files_lists_the_folder_without_subfolders(tauri: TauriSocket, library: Path) -> None:
    files = await tauri.invoke("get_media_files", {"directory": str(library)})
    assert isinstance(files, list) and all(isinstance(f, str) for f in files)
    assert sorted(Path(f).name for f in files) == ["a.mp4", "broken.mp4", "still.png"]


async def test_generate_media_thumbnail_answers_thumbnail_data_and_keeps_it(
    tauri: TauriSocket, gateway: Gateway
) -> None:
    args = {
        "fileId": "file-1",
        "filePath": str(gateway.media.video),
        "width": 80,
        "height": 60,
        "timestamp": 0.5,
    }
    thumbnail = await tauri.invoke("generate_media_thumbnail", args)
    assert isinstance(thumbnail["path"], str)
    assert base64.b64decode(thumbnail["base64_data"])[:2] == b"\xff\xd8"
    assert is_number(thumbnail["timestamp"])
    assert (thumbnail["width"], thumbnail["height"]) == (80, 60)
    stored = await tauri.invoke("get_media_preview_data", {"fileId": "file-1"})
    assert stored["file_id"] == "file-1" and stored["file_path"] == str(gateway.media.video)
    assert stored["browser_thumbnail"]["base64_data"] == thumbnail["base64_data"]
    assert stored["timeline_previews"] == [] and stored["recognition_frames"] == []
    assert isinstance(stored["last_updated"], str)
    assert "file-1" in await tauri.invoke("get_files_with_previews")
    assert await tauri.invoke("clear_media_preview_data", {"fileId": "file-1"}) is None
    assert await tauri.invoke("get_media_preview_data", {"fileId": "file-1"}) is None
    assert "file-1" not in await tauri.invoke("get_files_with_previews")


async def test_preview_data_saves_to_a_file_and_loads_back(
    tauri: TauriSocket, gateway: Gateway, tmp_path: Path
) -> None:
    args = {
        "fileId": "file-2",
        "filePath": str(gateway.media.video),
        "width": 32,
        "height": 24,
        "timestamp": 0,
    }
    await tauri.invoke("generate_media_thumbnail", args)
    export = tmp_path / "previews.json"
    assert await tauri.invoke("save_preview_data", {"path": str(export)}) is None
    assert export.exists()
    await tauri.invoke("clear_media_preview_data", {"fileId": "file-2"})
    assert await tauri.invoke("load_preview_data", {"path": str(export)}) is None
    restored = await tauri.invoke("get_media_preview_data", {"fileId": "file-2"})
    assert restored["browser_thumbnail"]["width"] == 32
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(Rejected, match="not a preview data export"):
        await tauri.invoke("load_preview_data", {"path": str(bad)})


async def test_process_media_file_simple_answers_processed_media_file(
    tauri: TauriSocket, library: Path
) -> None:
    value = await tauri.invoke(
        "process_media_file_simple", {"filePath": str(library / "a.mp4"), "generateThumbnail": True}
    )
    assert isinstance(value["id"], str) and value["name"] == "a.mp4" and is_int(value["size"])
    metadata = value["metadata"]
    assert metadata["has_video"] is True and metadata["has_audio"] is True
    assert (metadata["width"], metadata["height"]) == (96, 64) and is_number(metadata["fps"])
    assert isinstance(metadata["video_codec"], str) and is_number(metadata["duration"])
    assert "error" not in value
    broken = await tauri.invoke(
        "process_media_file_simple", {"filePath": str(library / "broken.mp4"), "generateThumbnail": False}
    )
    assert isinstance(broken["error"], str) and broken["error"] and "metadata" not in broken


async def test_scan_media_folder_with_thumbnails_sends_media_processor_events(
    tauri: TauriSocket, library: Path
) -> None:
    await tauri.listen("media-processor")
    args = {"folderPath": str(library), "width": 64, "height": 48}
    files = await tauri.invoke("scan_media_folder_with_thumbnails", args)
    assert sorted(f["name"] for f in files) == ["a.mp4", "b.mov", "still.png"]
    for value in files:
        assert_media_file(value)
    events = tauri.payloads("media-processor")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "FilesDiscovered"
    discovered = events[0]["data"]
    assert discovered["total"] == 4 and len(discovered["files"]) == 4
    for entry in discovered["files"]:
        assert (
            isinstance(entry["id"], str)
            and is_int(entry["size"])
            and entry["extension"] in ("mp4", "mov", "png")
        )
    ids = {entry["path"]: entry["id"] for entry in discovered["files"]}
    progress = [e["data"] for e in events if e["type"] == "ScanProgress"]
    assert [p["current"] for p in progress] == [1, 2, 3, 4] and all(p["total"] == 4 for p in progress)
    ready = {e["data"]["file_path"]: e["data"] for e in events if e["type"] == "MetadataReady"}
    assert len(ready) == 3
    for path, data in ready.items():
        assert data["file_id"] == ids[path] and data["metadata"]["id"] == ids[path]
    errors = [e["data"] for e in events if e["type"] == "ProcessingError"]
    assert len(errors) == 1 and errors[0]["file_path"].endswith("broken.mp4") and errors[0]["error"]
    thumbnails = [e["data"] for e in events if e["type"] == "ThumbnailReady"]
    assert len(thumbnails) == 3  # two videos and the image
    for data in thumbnails:
        assert base64.b64decode(data["thumbnail_data"])[:2] == b"\xff\xd8" and isinstance(
            data["thumbnail_path"], str
        )


async def test_process_media_files_reports_each_file(tauri: TauriSocket, library: Path) -> None:
    await tauri.listen("media-processor")
    paths = [str(library / "a.mp4"), str(library / "missing.mp4")]
    files = await tauri.invoke("process_media_files", {"filePaths": paths})
    assert [f["name"] for f in files] == ["a.mp4"]
    kinds = [e["type"] for e in tauri.payloads("media-processor")]
    assert kinds[0] == "FilesDiscovered" and kinds.count("ScanProgress") == 2
    assert kinds.count("MetadataReady") == 1 and kinds.count("ProcessingError") == 1
    assert await tauri.invoke("cancel_media_processing") is None


async def test_events_go_only_to_the_callers_own_listeners(
    tauri: TauriSocket, gateway: Gateway, library: Path
) -> None:
    from .conftest import OTHER_TOKEN

    other = TauriSocket(
        await gateway.session.ws_connect(ws_url(gateway), headers=gateway.headers(OTHER_TOKEN))
    )
    try:
        await other.listen("media-processor")
        await tauri.listen("media-processor")
        await tauri.invoke("scan_media_folder", {"folderPath": str(library / "sub")})
        assert tauri.payloads("media-processor") and not other.payloads("media-processor")
    finally:
        await other.close()


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("get_media_metadata", {}, "get_media_metadata: filePath is required"),
        ("get_media_metadata", {"filePath": 42}, "filePath must be a string, got a number"),
        ("get_media_metadata", {"filePath": "/no/such/file.mp4"}, "no such file"),
        ("get_media_files", {"directory": "/no/such/folder"}, "no such folder"),
        (
            "generate_media_thumbnail",
            {"fileId": "x", "filePath": "/x.mp4", "width": "80", "height": 60, "timestamp": 0},
            "width must be a number, got a string",
        ),
        (
            "generate_media_thumbnail",
            {"fileId": "x", "filePath": "/x.mp4", "width": 0, "height": 60, "timestamp": 0},
            "width must be >= 1",
        ),
        ("scan_media_folder_with_thumbnails", {"folderPath": "/tmp", "width": 64}, "height is required"),
        ("process_media_files", {"filePaths": "a.mp4"}, "filePaths must be an array of strings"),
        ("process_media_files", {"filePaths": ["a.mp4", 3]}, "filePaths[1] must be a non-empty string"),
        (
            "process_media_file_simple",
            {"filePath": "/x.mp4", "generateThumbnail": "yes"},
            "generateThumbnail must be true or false",
        ),
        ("get_media_preview_data", {"fileId": ""}, "fileId must not be empty"),
        ("save_preview_data", {"path": ""}, "path must not be empty"),
    ],
)
async def test_bad_arguments_reject_with_a_clear_message(
    tauri: TauriSocket, command: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        await tauri.invoke(command, args)
    assert message in str(rejected.value)
    assert rejected.value.body["code"] != "INTERNAL"


async def test_translated_commands_answer_over_http_too(gateway: Gateway) -> None:
    reply = await gateway.invoke("get_media_files", {"directory": str(gateway.media.root)})
    assert reply.status == 200
    assert str(gateway.media.video) in await reply.json()
    reply = await gateway.invoke("get_media_metadata", {"path": str(gateway.media.video)})
    body = await reply.json()
    assert reply.status == 400 and "filePath is required" in body["error"]["message"]
    assert body["error"]["field_violations"][0]["field"] == "filePath"


async def test_timeline_frames_extracted_saved_and_read_back(tauri: TauriSocket, gateway: Gateway) -> None:
    video = str(gateway.media.video)
    request = {"video_path": video, "duration": 1.0, "interval": 0.5, "max_frames": 10}
    frames = await tauri.invoke("extract_timeline_frames", {"request": request})
    assert [f["timestamp"] for f in frames] == [0.0, 0.5, 0.95]
    for frame in frames:
        assert base64.b64decode(frame["frame_data"])[:2] == b"\xff\xd8" and frame["is_keyframe"] is False
    saved = [
        {"timestamp": f["timestamp"], "base64_data": f["frame_data"], "is_keyframe": False} for f in frames
    ]
    # use-frame-preview.ts sends file_id, use-media-preview.ts fileId: both are understood.
    assert await tauri.invoke("save_timeline_frames", {"file_id": "frames-1", "frames": saved}) is None
    assert await tauri.invoke("get_timeline_frames", {"fileId": "frames-1"}) == saved
    preview = await tauri.invoke("get_media_preview_data", {"fileId": "frames-1"})
    assert preview["timeline_frames"] == saved
    assert await tauri.invoke("get_timeline_frames", {"fileId": "nothing-here"}) == []
    await tauri.invoke("clear_media_preview_data", {"fileId": "frames-1"})


async def test_recognition_and_subtitle_frames(tauri: TauriSocket, gateway: Gateway) -> None:
    video = str(gateway.media.video)
    args = {"video_path": video, "purpose": "object_detection", "interval": 0.5}
    frames = await tauri.invoke("extract_recognition_frames", args)
    assert len(frames) == 3
    for frame in frames:
        assert bytes(frame["frame_data"][:2]) == b"\xff\xd8" and frame["resolution"] == [160, 120]
        assert is_number(frame["timestamp"]) and frame["is_keyframe"] is False
    subtitles = [
        {"id": "s1", "text": "Hi", "start_time": 0.2, "end_time": 0.6, "enabled": True},
        {"id": "s2", "text": "off", "start_time": 0.6, "end_time": 0.8, "enabled": False},
    ]
    picked = await tauri.invoke("extract_subtitle_frames", {"video_path": video, "subtitles": subtitles})
    assert [(f["subtitle_id"], f["subtitle_text"], f["start_time"], f["end_time"]) for f in picked] == [
        ("s1", "Hi", 0.2, 0.6)
    ]
    assert picked[0]["timestamp"] == pytest.approx(0.4) and bytes(picked[0]["frame_data"][:2]) == b"\xff\xd8"


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("extract_timeline_frames", {"video_path": "/x.mp4"}, "request is required"),
        (
            "extract_timeline_frames",
            {"request": {"video_path": "/x.mp4", "duration": 10, "interval": 0}},
            "request.interval must be >= 0.01",
        ),
        (
            "extract_timeline_frames",
            {"request": {"video_path": "/x.mp4", "duration": 1e6, "interval": 1}},
            "more than 300 frames",
        ),
        (
            "extract_recognition_frames",
            {"video_path": "/x.mp4", "purpose": "fun", "interval": 1},
            "purpose must be one of",
        ),
        ("extract_subtitle_frames", {"video_path": "/x.mp4"}, "subtitles is required"),
        (
            "save_timeline_frames",
            {"fileId": "f", "frames": [{"timestamp": 0, "base64_data": "@@@"}]},
            "frames[0].base64_data is not base64",
        ),
        (
            "save_timeline_frames",
            {"fileId": "f", "frames": [{"base64_data": "AAAA"}]},
            "frames[0].timestamp is required",
        ),
    ],
)
async def test_frame_commands_refuse_bad_input(
    tauri: TauriSocket, command: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        await tauri.invoke(command, args)
    assert message in str(rejected.value)


ISSUE_COMMANDS = {
    "render jobs and compiler": "compile_video cancel_render get_render_progress get_active_jobs get_render_job "
    "generate_preview prerender_segment get_prerender_cache_info clear_prerender_cache create_timeline_project "
    "get_compiler_settings_advanced set_hardware_acceleration check_hardware_acceleration_support "
    "get_gpu_capabilities_full get_system_info check_ffmpeg_capabilities",
    "frames": "extract_timeline_frames extract_recognition_frames extract_subtitle_frames save_timeline_frames "
    "get_timeline_frames",
    "caches": "get_cache_stats clear_preview_cache clear_all_cache get_cache_size configure_cache "
    "cache_media_metadata get_cached_metadata get_cache_memory_usage clear_app_cache",
    "media": "get_media_metadata get_media_files generate_media_thumbnail scan_media_folder "
    "scan_media_folder_with_thumbnails process_media_files process_media_files_with_thumbnails "
    "cancel_media_processing process_media_file_simple get_media_preview_data save_preview_data "
    "load_preview_data clear_media_preview_data get_files_with_previews",
    "recognition": "process_video_recognition get_preview_data_with_recognition clear_recognition_results",
    "api keys and oauth": "save_simple_api_key list_api_keys validate_api_key delete_api_key "
    "save_oauth_credentials generate_oauth_url exchange_oauth_code refresh_oauth_token get_oauth_user_info "
    "parse_oauth_callback_url export_to_env_format import_from_env get_decrypted_api_key",
    "subtitle and effect files": "read_subtitle_file save_subtitle_file get_user_effects_list load_user_effect "
    "save_user_effect delete_user_effect load_effects_collection save_effects_collection",
}


async def test_every_command_of_the_issue_is_answered_by_the_translation_layer(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/api/v1/commands", headers=gateway.headers())
    listed = (await reply.json())["timeline_studio"]
    names = [name for group in ISSUE_COMMANDS.values() for name in group.split()]
    assert len(names) == 68
    assert sorted(set(names) - set(listed)) == []
