"""ImportProject through gRPC: a ProjectSchema built the way the frontend builds it renders like
the same timeline written in our own format, and refusals name the frontend's fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2, project_import_pb2

from .conftest import Media, Running, decode_rgb, project, psnr, start_compiler
from .test_render import render
from .timeline_studio_schema import (
    animation,
    clip,
    effect,
    filter_,
    schema,
    subtitle,
    track,
    transition,
    vertical_split,
)


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message


async def import_schema(
    running: Running, data: dict[str, Any], base_dir: Path, output: str = ""
) -> project_import_pb2.ImportProjectResponse:
    request = project_import_pb2.ImportProjectRequest(
        schema=_struct(data), base_dir=str(base_dir), output_path=output
    )
    return await running.stub.ImportProject(request)


def frontend_project(media: Media) -> dict[str, Any]:
    """Two clips with a fade, an effect, a filter, a multi-camera cell, a subtitle with a fade-in."""
    return schema(
        metadata={
            "name": "from the frontend",
            "created_at": "2026-12-04T20:00:00Z",
            "modified_at": "2026-12-04T20:00:00Z",
        },
        timeline={
            "duration": 3.5,
            "fps": 30,
            "resolution": [320, 180],
            "sample_rate": 48000,
            "aspect_ratio": "Ratio16x9",
        },
        tracks=[
            track(
                "main",
                "Video",
                [
                    clip("a", media.red_green.name, 0, 1.5, filters=["warm"]),
                    clip("b", media.blue_yellow.name, 1.5, 3.5, effects=["sepia"]),
                ],
            ),
            track(
                "cam", "Video", [clip("c", media.red_green.name, 0, 2, template_id="split", template_cell=1)]
            ),
            track("subs", "Subtitle", []),
        ],
        effects=[effect("sepia", "Sepia", intensity={"type": "Float", "value": 0.8})],
        filters=[filter_("warm", "Brightness", brightness=0.1, contrast=1.1, temperature=25)],
        transitions=[transition("t", "fade", "a", "b", 0.5)],
        templates=[vertical_split("split", 2)],
        subtitles=[subtitle("s1", "Hello", 0.5, 3.0, [animation("in", "FadeIn", 0.3)])],
    )


def our_project(media: Media, output: Path) -> dict[str, Any]:
    """The same timeline in our own format, written out by hand."""
    return {
        "name": "ours",
        "settings": {"width": 320, "height": 180, "fps": 30, "sampleRate": 48000},
        "tracks": [
            {
                "id": "main",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": "a",
                        "source": {"path": str(media.red_green)},
                        "start": 0,
                        "duration": 2.0,
                        "effects": [
                            {
                                "type": "color-correction",
                                "params": {"brightness": 0.1, "contrast": 1.1, "saturation": 1, "gamma": 1},
                            },
                            {"type": "temperature", "params": {"kelvin": 5500}},
                        ],
                    },
                    {
                        "id": "b",
                        "source": {"path": str(media.blue_yellow)},
                        "start": 1.5,
                        "duration": 2.0,
                        "transition": {"type": "fade", "duration": 0.5},
                        "effects": [{"type": "sepia", "params": {"intensity": 0.8}}],
                    },
                ],
            },
            {
                "id": "cam",
                "kind": "TRACK_KIND_OVERLAY",
                "clips": [
                    {
                        "id": "c",
                        "source": {"path": str(media.red_green)},
                        "start": 0,
                        "duration": 2,
                        "transform": {"x": 0.75, "y": 0.5, "scale": 0.5},
                        "crop": {"left": 1 / 6, "right": 1 / 6},
                    },
                ],
            },
            {
                "id": "subs",
                "kind": "TRACK_KIND_TEXT",
                "clips": [
                    {
                        "id": "s1",
                        "start": 0.5,
                        "duration": 2.5,
                        "fadeIn": 0.3,
                        "source": {
                            "text": {
                                "text": "Hello",
                                "fontSize": 24,
                                "font": "Arial",
                                "color": "#ffffff",
                                "strokeColor": "#000000",
                                "strokeWidth": 2,
                                "align": "center",
                            }
                        },
                        "transform": {"x": 0.5, "y": (0.85 * 180 - 20 - 24 * 1.2 / 2) / 180},
                    },
                ],
            },
        ],
        "output": {
            "path": str(output),
            "quality": 85,
            "videoBitrate": "8000000",
            "audioBitrate": "192000",
            "hardwareAcceleration": "HARDWARE_ACCELERATION_AUTO",
        },
    }


async def test_frontend_schema_renders_like_the_same_timeline_in_our_format(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    imported = await import_schema(
        compiler, frontend_project(media), media.root, str(tmp_path / "theirs.mp4")
    )
    assert any("extended by 0.5 s" in n.message for n in imported.notes)
    theirs = await render(compiler, imported.project)
    ours = await render(compiler, project(our_project(media, tmp_path / "ours.mp4")))
    assert theirs.status == ours.status == compiler_pb2.JOB_STATUS_SUCCEEDED
    a, b = decode_rgb(tmp_path / "theirs.mp4"), decode_rgb(tmp_path / "ours.mp4")
    assert len(a) == len(b) == 105
    for index in range(0, 105, 7):
        assert psnr(a[index], b[index]) >= 40, index
    # The cell shows the camera in the right half; the subtitle is drawn (white pixels low in frame 45).
    assert a[10][90, 240].tolist() == pytest.approx([255, 0, 0], abs=40)
    assert (a[45][120:170, 100:220] > 200).all(axis=2).any()


async def test_refusals_name_the_frontends_fields_and_the_service_keeps_serving(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    data = frontend_project(media)
    data["subtitles"][0]["animations"].append(animation("tw", "TypeWriter", 0.5))
    data["effects"].append(effect("holo", "Hologram"))
    data["tracks"][0]["clips"][0]["effects"] = ["holo"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await import_schema(compiler, data, media.root, str(tmp_path / "x.mp4"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    rich = error_details(caught.value)
    assert rich.reason == "UNSUPPORTED_PROJECT_SCHEMA"
    assert {v.field for v in rich.field_violations} == {
        "subtitles[0].animations[1].animation_type",
        "effects[1].effect_type",
    }
    assert not (tmp_path / "x.mp4").exists()
    # Still serving: the untouched schema imports.
    await import_schema(compiler, frontend_project(media), media.root)


@pytest.mark.parametrize(
    ("resolution", "source", "field"),
    [
        ([321, 180], "red_green.mp4", "timeline.resolution[0]"),
        ([320, 180], "gone.mp4", "tracks[1].clips[0].source_path"),
    ],
)
async def test_validation_failures_are_mapped_to_frontend_paths(
    compiler: Running, media: Media, tmp_path: Path, resolution: list[int], source: str, field: str
) -> None:
    data = schema(
        timeline={"fps": 30, "resolution": resolution, "sample_rate": 48000},
        tracks=[track("subs", "Subtitle", []), track("v", "Video", [clip("a", source, 0, 1)])],
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await import_schema(compiler, data, media.root, str(tmp_path / "x.mp4"))
    assert field in {v.field for v in error_details(caught.value).field_violations}


async def test_sources_outside_the_allowed_roots_are_refused_before_they_are_opened(
    media: Media, tmp_path: Path
) -> None:
    data = schema(
        timeline={"fps": 30, "resolution": [320, 180], "sample_rate": 48000},
        templates=[vertical_split("split", 2)],
        tracks=[
            track("v", "Video", [clip("a", str(media.red_green), 0, 1, template_id="split", template_cell=0)])
        ],
    )
    async for running in start_compiler(tmp_path, allowed_roots=(tmp_path / "only-here",)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await import_schema(running, data, tmp_path)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert {v.field for v in error_details(caught.value).field_violations} == {
            "tracks[0].clips[0].source_path"
        }


def test_the_import_response_is_a_project_ready_for_render() -> None:
    # The contract: the project in the response is our Project message (proto3 JSON round trip).
    response = project_import_pb2.ImportProjectResponse()
    json_format.ParseDict({"project": {"name": "x"}, "notes": [{"field": "a", "message": "b"}]}, response)
    assert response.project.name == "x"
