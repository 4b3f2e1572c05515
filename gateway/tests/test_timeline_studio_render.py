"""Replay of the frontend's render-job and compiler commands (src/features/video-compiler/**)
through the gateway against the real compiler and media services: compile_video answers a job id
at once, get_render_progress polled every 0.5 s as the frontend does reaches "Completed" at 100 %
with a correct video; cancel_render leaves "Cancelled" and no output; generate_preview answers
JPEG bytes of the project's size."""

# ruff: noqa: F811  (the real-compiler fixtures are imported from test_real_compiler)
from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image
from svckit.testing import make_video

from .conftest import Gateway
from .test_real_compiler import compiler_service, real_gateway  # noqa: F401 (fixtures)
from .test_websocket import ws_url
from .timeline_studio_client import Rejected, TauriSocket, is_int, is_number

WIDTH, HEIGHT = 160, 120


@pytest.fixture
async def tauri(real_gateway: Gateway) -> AsyncIterator[TauriSocket]:
    socket = TauriSocket(
        await real_gateway.session.ws_connect(ws_url(real_gateway), headers=real_gateway.headers())
    )
    try:
        yield socket
    finally:
        await socket.close()


def project_schema(video: Path, seconds: float = 1.0, **clip_extra: Any) -> dict[str, Any]:
    """A ProjectSchema as the frontend's builder makes it: one video clip, a Sepia effect on it,
    a subtitle over it, export settings."""
    clip = {
        "id": "clip-1",
        "source_path": str(video),
        "start_time": 0,
        "end_time": seconds,
        "source_start": 0,
        "source_end": min(seconds, 1.0),
        "speed": 1.0,
        "volume": 1.0,
        "effects": ["fx-1"],
        "filters": [],
        **clip_extra,
    }
    return {
        "version": "1.0.0",
        "metadata": {
            "name": "Replay",
            "created_at": "2026-12-04T20:00:00.000Z",
            "modified_at": "2026-12-04T20:00:00.000Z",
        },
        "timeline": {
            "duration": seconds,
            "fps": 30,
            "resolution": [WIDTH, HEIGHT],
            "sample_rate": 48000,
            "aspect_ratio": "Ratio4x3",
        },
        "tracks": [
            {
                "id": "track-1",
                "track_type": "Video",
                "name": "Video Track",
                "enabled": True,
                "locked": False,
                "volume": 1.0,
                "clips": [clip],
                "effects": [],
                "filters": [],
            }
        ],
        "effects": [
            {
                "id": "fx-1",
                "effect_type": "Sepia",
                "name": "Sepia",
                "enabled": True,
                "parameters": {"intensity": {"type": "Float", "value": 1.0}},
            }
        ],
        "transitions": [],
        "filters": [],
        "templates": [],
        "style_templates": [],
        "subtitles": [
            {
                "id": "sub-1",
                "text": "HELLO",
                "start_time": 0,
                "end_time": seconds,
                "position": {
                    "x": 50.0,
                    "y": 85.0,
                    "align_x": "Center",
                    "align_y": "Bottom",
                    "margin": {"top": 4.0, "right": 4.0, "bottom": 4.0, "left": 4.0},
                },
                "style": {
                    "font_family": "Arial",
                    "font_size": 24.0,
                    "font_weight": "Bold",
                    "color": "#FFFFFF",
                    "stroke_color": "#000000",
                    "stroke_width": 2.0,
                    "background_opacity": 0.0,
                },
                "enabled": True,
                "animations": [],
            }
        ],
        "settings": {
            "export": {
                "format": "Mp4",
                "quality": 85,
                "video_bitrate": 2000,
                "audio_bitrate": 128,
                "hardware_acceleration": False,
                "ffmpeg_args": [],
            },
            "preview": {"resolution": [WIDTH, HEIGHT], "fps": 30, "quality": 75},
            "custom": {},
        },
    }


def assert_render_progress(progress: dict[str, Any], job_id: str) -> None:
    """RenderProgress (types/render.ts) with the JSON types the frontend reads."""
    assert progress["job_id"] == job_id and isinstance(progress["stage"], str)
    assert is_number(progress["percentage"]) and 0 <= progress["percentage"] <= 100
    assert is_int(progress["current_frame"]) and is_int(progress["total_frames"])
    assert is_int(progress["elapsed_time"])
    assert progress["status"] in ("Processing", "Completed", "Failed", "Cancelled")
    assert "estimated_remaining" not in progress or is_int(progress["estimated_remaining"])
    assert "message" not in progress or isinstance(progress["message"], str)


async def poll_like_the_frontend(tauri: TauriSocket, job_id: str, limit: float = 120) -> list[dict[str, Any]]:
    """trackRenderProgress: ask every 500 ms while status is "Processing"."""
    seen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        progress = await tauri.invoke("get_render_progress", {"jobId": job_id})
        assert progress is not None
        assert_render_progress(progress, job_id)
        seen.append(progress)
        if progress["status"] != "Processing":
            return seen
        await asyncio.sleep(0.5)
    raise AssertionError(f"still processing after {limit}s: {seen[-1]}")


def frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= seconds:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {seconds}s in {path}")


async def test_compile_video_polls_to_completed_with_the_effect_and_subtitle(
    tauri: TauriSocket,
    real_gateway: Gateway,
    tmp_path: Path,
) -> None:
    video = real_gateway.media.video
    output = tmp_path / "export.mp4"
    job_id = await tauri.invoke(
        "compile_video", {"projectSchema": project_schema(video), "outputPath": str(output)}
    )
    assert isinstance(job_id, str) and job_id
    seen = await poll_like_the_frontend(tauri, job_id)
    final = seen[-1]
    assert final["status"] == "Completed" and final["percentage"] == 100
    assert final["current_frame"] == final["total_frames"] > 0
    with av.open(str(output)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (WIDTH, HEIGHT)
        assert 0.9 <= float(container.duration or 0) / 1e6 <= 1.2
    rendered, source = frame_at(output, 0.5).astype(int), frame_at(video, 0.5).astype(int)
    middle = (slice(10, 50), slice(10, 150))
    # Sepia: the middle of the picture (no text there) is no longer the source's colour.
    assert np.abs(rendered[middle].mean((0, 1)) - source[middle].mean((0, 1))).max() > 10
    # The subtitle: the bottom band has text pixels far from the (flat) picture around them.
    bottom = rendered[85:118, 20:140]
    assert np.abs(bottom - rendered[middle].mean((0, 1))).max() > 100
    job = await tauri.invoke("get_render_job", {"jobId": job_id})
    assert job["id"] == job_id and job["status"] == "Completed" and job["output_path"] == str(output)
    assert isinstance(job["created_at"], str) and job["created_at"].endswith("Z")
    assert job["progress"]["percentage"] == 100 and isinstance(job["project_name"], str)
    active = await tauri.invoke("get_active_jobs")
    assert isinstance(active, list) and job_id not in [j["id"] for j in active]


async def test_cancel_render_reports_cancelled_and_leaves_no_output(
    tauri: TauriSocket, tmp_path: Path
) -> None:
    source = make_video(tmp_path / "long.mp4", seconds=2.0, width=64, height=48, fps=30)
    output = tmp_path / "cancelled.mp4"
    schema = project_schema(source, seconds=20.0, source_end=2.0, speed=0.1)
    schema["timeline"]["resolution"] = [1280, 720]
    job_id = await tauri.invoke("compile_video", {"projectSchema": schema, "outputPath": str(output)})
    active = await tauri.invoke("get_active_jobs")
    assert job_id in [j["id"] for j in active]
    assert all(j["status"] == "Processing" for j in active)
    assert await tauri.invoke("cancel_render", {"jobId": job_id}) is True
    seen = await poll_like_the_frontend(tauri, job_id)
    assert seen[-1]["status"] == "Cancelled"
    assert not output.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith("cancelled")] == []
    assert await tauri.invoke("cancel_render", {"jobId": job_id}) is False
    assert await tauri.invoke("cancel_render", {"jobId": "no-such-job"}) is False
    assert await tauri.invoke("get_render_progress", {"jobId": "no-such-job"}) is None
    assert await tauri.invoke("get_render_job", {"jobId": "no-such-job"}) is None


async def test_generate_preview_answers_jpeg_bytes_of_the_project_size(
    tauri: TauriSocket,
    real_gateway: Gateway,
) -> None:
    schema = project_schema(real_gateway.media.video)
    data = await tauri.invoke("generate_preview", {"projectSchema": schema, "timestamp": 0.5, "quality": 75})
    assert isinstance(data, list) and all(is_int(b) and 0 <= b <= 255 for b in data[:64])
    picture = Image.open(io.BytesIO(bytes(data)))
    assert picture.format == "JPEG" and picture.size == (WIDTH, HEIGHT)


async def test_prerender_segment_answers_prerender_result(tauri: TauriSocket, real_gateway: Gateway) -> None:
    schema = project_schema(real_gateway.media.video)
    request = {
        "project_schema": schema,
        "start_time": 0.0,
        "end_time": 0.5,
        "apply_effects": True,
        "quality": 75,
    }
    result = await tauri.invoke("prerender_segment", {"request": request})
    assert isinstance(result["filePath"], str) and Path(result["filePath"]).exists()
    assert is_number(result["duration"]) and 0.4 <= result["duration"] <= 0.7
    assert is_int(result["fileSize"]) and result["fileSize"] > 0 and is_int(result["renderTimeMs"])
    info = await tauri.invoke("get_prerender_cache_info")
    assert is_int(info["file_count"]) and is_int(info["total_size"]) and isinstance(info["files"], list)


async def test_compiler_info_commands_answer_the_frontend_types(tauri: TauriSocket) -> None:
    gpu = await tauri.invoke("get_gpu_capabilities_full")
    assert isinstance(gpu["available_encoders"], list) and isinstance(
        gpu["hardware_acceleration_supported"], bool
    )
    assert all(e in ("Nvenc", "QuickSync", "Vaapi", "VideoToolbox", "AMF") for e in gpu["available_encoders"])
    assert isinstance(await tauri.invoke("check_hardware_acceleration_support"), bool)
    ffmpeg = await tauri.invoke("check_ffmpeg_capabilities")
    assert isinstance(ffmpeg["version"], str) and ffmpeg["version"]
    assert "h264" in ffmpeg["available_codecs"] and isinstance(ffmpeg["hardware_encoders"], list)
    assert isinstance(ffmpeg["path"], str)
    system = await tauri.invoke("get_system_info")
    assert isinstance(system["os"]["type"], str) and isinstance(system["os"]["architecture"], str)
    assert is_int(system["cpu"]["cores"]) and system["cpu"]["cores"] > 0
    assert is_int(system["memory"]["total_bytes"]) and is_int(system["memory"]["total_mb"])
    assert isinstance(system["runtime"]["rust_version"], str)
    settings = await tauri.invoke("get_compiler_settings_advanced")
    assert settings["hardware_acceleration"] is True
    assert is_int(settings["max_concurrent_jobs"]) and is_int(settings["cache_size_mb"])
    assert isinstance(settings["temp_directory"], str)
    assert await tauri.invoke("set_hardware_acceleration", {"enabled": False}) is None
    assert (await tauri.invoke("get_compiler_settings_advanced"))["hardware_acceleration"] is False
    freed = await tauri.invoke("clear_prerender_cache")
    assert is_int(freed) and freed >= 0


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("compile_video", {"outputPath": "/tmp/x.mp4"}, "compile_video: projectSchema is required"),
        (
            "compile_video",
            {"projectSchema": [], "outputPath": "/tmp/x.mp4"},
            "projectSchema must be an object, got an array",
        ),
        ("compile_video", {"projectSchema": {"version": "1.0.0"}}, "outputPath is required"),
        ("get_render_progress", {"jobId": 7}, "jobId must be a string, got a number"),
        ("cancel_render", {}, "jobId is required"),
        ("generate_preview", {"projectSchema": {}, "timestamp": -1}, "timestamp must be >= 0"),
        ("generate_preview", {"projectSchema": {}, "timestamp": 1, "quality": 101}, "quality must be <= 100"),
        ("prerender_segment", {"projectSchema": {}}, "request is required"),
        (
            "prerender_segment",
            {"request": {"project_schema": {}, "start_time": 2, "end_time": 1}},
            "request.end_time must be after start_time",
        ),
        ("set_hardware_acceleration", {"enabled": "true"}, "enabled must be true or false"),
    ],
)
async def test_bad_arguments_reject_with_a_clear_message(
    tauri: TauriSocket, command: str, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        await tauri.invoke(command, args)
    assert message in str(rejected.value)


async def test_a_schema_the_compiler_refuses_names_the_frontend_field(
    tauri: TauriSocket,
    real_gateway: Gateway,
    tmp_path: Path,
) -> None:
    schema = project_schema(real_gateway.media.video)
    schema["effects"][0]["effect_type"] = "NoSuchEffect"
    with pytest.raises(Rejected) as rejected:
        await tauri.invoke("compile_video", {"projectSchema": schema, "outputPath": str(tmp_path / "x.mp4")})
    assert "projectSchema.effects[0].effect_type" in str(rejected.value)
    fields = [v["field"] for v in rejected.value.body["field_violations"]]
    assert "projectSchema.effects[0].effect_type" in fields
    assert rejected.value.body["code"] == "INVALID_ARGUMENT"
    assert not (tmp_path / "x.mp4").exists()
