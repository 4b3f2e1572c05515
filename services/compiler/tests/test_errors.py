"""Bad input: invalid projects, missing, corrupt and truncated media, paths outside the roots.
Each gets its status and the service keeps serving."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_video
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, project, start_compiler
from .test_render import render


def one_clip(path: str, output: Path, **clip: Any) -> dict[str, Any]:
    return {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": path}, "start": 0, **clip}],
            }
        ],
        "output": {"path": str(output)},
    }


BROKEN = {
    "settings": {"width": 161, "height": 120, "fps": 500},
    "tracks": [
        {
            "id": "v",
            "kind": "TRACK_KIND_VIDEO",
            "clips": [
                {"id": "a", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 2},
                {"id": "b", "source": {"color": {"color": "#00ff00"}}, "start": 1.5, "duration": 2},
                {
                    "id": "c",
                    "source": {"color": {"color": "#0000ff"}},
                    "start": 3,
                    "duration": 2,
                    "speed": -1,
                    "transition": {"type": "no-such-wipe", "duration": 1},
                    "effects": [{"type": "brightness", "params": {"value": 7}}, {"type": "melt"}],
                },
                {"id": "d", "source": {"color": {"color": "nope"}}, "start": 5, "duration": 0},
            ],
        },
    ],
    "output": {"path": "out.mp4", "container": "avi", "crf": 99},
}


async def test_validate_project_lists_every_violation_with_its_field_path(compiler: Running) -> None:
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(BROKEN)))
    assert not reply.valid
    fields = {v.field for v in reply.violations}
    assert {
        "settings.width",
        "settings.fps",
        "tracks[0].clips[1].start",  # overlaps clip a without a transition
        "tracks[0].clips[2].speed",
        "tracks[0].clips[2].transition.type",
        "tracks[0].clips[2].effects[0].params.value",
        "tracks[0].clips[2].effects[1].type",
        "tracks[0].clips[3].source.color",
        "tracks[0].clips[3].duration",
        "output.container",
        "output.crf",
    } <= fields


async def test_transition_duration_must_match_the_overlap(compiler: Running) -> None:
    edit = {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "a", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 2},
                    {
                        "id": "b",
                        "source": {"color": {"color": "#00ff00"}},
                        "start": 1.5,
                        "duration": 2,
                        "transition": {"type": "fade", "duration": 1},
                    },
                ],
            }
        ],
        "output": {"path": "x.mp4"},
    }
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
    assert [v.field for v in reply.violations] == ["tracks[0].clips[1].transition.duration"]


async def test_render_refuses_an_invalid_project_with_bad_request_details(compiler: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in compiler.stub.Render(compiler_pb2.RenderRequest(project=project(BROKEN))):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    rich = error_details(caught.value)
    assert rich.reason == "INVALID_PROJECT"
    assert "tracks[0].clips[2].speed" in {v.field for v in rich.field_violations}


async def test_missing_media_is_a_failed_precondition_naming_every_missing_file(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    edit = one_clip("gone/one.mp4", tmp_path / "out.mp4")
    edit["tracks"].append(
        {
            "id": "a",
            "kind": "TRACK_KIND_AUDIO",
            "clips": [{"id": "m", "source": {"path": "gone/two.wav"}, "start": 0}],
        }
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in compiler.stub.Render(compiler_pb2.RenderRequest(project=project(edit, tmp_path))):
            pass
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    rich = error_details(caught.value)
    named = {r.name for r in rich.resources}
    assert named == {str(tmp_path / "gone/one.mp4"), str(tmp_path / "gone/two.wav")}
    assert {v.field for v in rich.field_violations} == {
        "tracks[0].clips[0].source.path",
        "tracks[1].clips[0].source.path",
    }
    # ValidateProject reports the same as violations.
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(edit, tmp_path))
    )
    assert not reply.valid and len(reply.violations) == 2


async def test_corrupt_and_truncated_media_are_refused_and_the_service_keeps_serving(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x01not a video" * 1000)
    truncated = tmp_path / "truncated.mp4"
    data = media.red_green.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    for bad in (garbage, truncated):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await render(compiler, project(one_clip(str(bad), tmp_path / "out.mp4")))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
        assert str(bad) in {r.name for r in error_details(caught.value).resources}

    # A stream cut short: the header promises 2 s, the data stops early.
    stream = make_video(tmp_path / "cut.ts", seconds=2.0)
    payload = stream.read_bytes()
    stream.write_bytes(payload[: len(payload) // 3])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, project(one_clip(str(stream), tmp_path / "cut.mp4", sourceOut=2)))
    # Refused up front now: the probed length (what the data holds) is shorter than sourceOut.
    assert caught.value.code() in (
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert not (tmp_path / "cut.mp4").exists()

    job = await render(compiler, project(one_clip(str(media.red_green), tmp_path / "fine.mp4")))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED


async def test_paths_outside_the_allowed_roots_are_refused(media: Media, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    shutil.copy(media.red_green, allowed / "clip.mp4")
    async for running in start_compiler(tmp_path, allowed_roots=(allowed,)):
        for edit in (
            one_clip(str(media.red_green), allowed / "out.mp4"),
            one_clip(str(allowed / "clip.mp4"), tmp_path / "escape.mp4"),
            one_clip(str(allowed / ".." / "allowed" / ".." / "x.mp4"), allowed / "out.mp4"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await render(running, project(edit))
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        job = await render(running, project(one_clip("clip.mp4", allowed / "ok.mp4"), allowed))
        assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED


async def test_sound_only_files_on_picture_tracks_and_silent_files_on_audio_tracks_are_refused(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    edit = one_clip(str(media.tone), tmp_path / "out.mp4")
    edit["tracks"].append(
        {
            "id": "a",
            "kind": "TRACK_KIND_AUDIO",
            "clips": [{"id": "m", "source": {"path": str(media.logo)}, "start": 0}],
        }
    )
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
    fields = {v.field for v in reply.violations}
    assert {"tracks[0].clips[0].source.path", "tracks[1].clips[0].source.path"} <= fields


async def test_timelines_longer_than_the_limit_are_refused(media: Media, tmp_path: Path) -> None:
    async for running in start_compiler(tmp_path, max_duration_seconds=1.0):
        edit = one_clip(str(media.red_green), tmp_path / "long.mp4")
        reply = await running.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
        assert [v.field for v in reply.violations] == ["tracks"]
