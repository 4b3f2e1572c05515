"""Non-finite and absurd numbers (issue 15, item 5): NaN, ±Infinity and 1e308 anywhere in a project
give INVALID_ARGUMENT with the field's path from every RPC that takes a project, never INTERNAL."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.finite_numbers import bad_numbers
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2, project_pb2

from .conftest import Running, project

NASTY = (math.nan, math.inf, -math.inf, 1e308)


def base(tmp_path: Path) -> project_pb2.Project:
    return project(
        {
            "settings": {"width": 160, "height": 120, "fps": 30},
            "tracks": [
                {
                    "id": "v",
                    "kind": "TRACK_KIND_VIDEO",
                    "clips": [
                        {"id": "c", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 1},
                        {
                            "id": "t",
                            "source": {"text": {"text": "hi", "fontSize": 20}},
                            "start": 1,
                            "duration": 1,
                            "effects": [{"type": "blur", "params": {"radius": 2}}],
                        },
                    ],
                }
            ],
            "output": {"path": str(tmp_path / "out.mp4")},
        }
    )


def setters() -> dict[str, Any]:
    """Field path -> how to put a value there."""
    return {
        "tracks[0].clips[0].start": lambda p, x: setattr(p.tracks[0].clips[0], "start", x),
        "tracks[0].clips[0].duration": lambda p, x: setattr(p.tracks[0].clips[0], "duration", x),
        "tracks[0].clips[0].fade_in": lambda p, x: setattr(p.tracks[0].clips[0], "fade_in", x),
        "tracks[0].clips[0].transform.rotation": lambda p, x: setattr(
            p.tracks[0].clips[0].transform, "rotation", x
        ),
        "tracks[0].clips[1].source.text.stroke_width": lambda p, x: setattr(
            p.tracks[0].clips[1].source.text, "stroke_width", x
        ),
        "tracks[0].clips[1].effects[0].params.radius": lambda p, x: (
            p.tracks[0].clips[1].effects[0].params.update({"radius": x})
        ),
    }


async def call(running: Running, rpc: str, proj: project_pb2.Project) -> None:
    stub = running.stub
    if rpc == "ValidateProject":
        await stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=proj))
    elif rpc == "ExplainRender":
        await stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=proj))
    elif rpc == "RenderFrame":
        await stub.RenderFrame(compiler_pb2.RenderFrameRequest(project=proj, time=0.5))
    else:
        async for _ in stub.Render(compiler_pb2.RenderRequest(project=proj)):
            pass


@pytest.mark.parametrize("rpc", ["ValidateProject", "Render", "ExplainRender", "RenderFrame"])
async def test_non_finite_numbers_are_invalid_arguments_with_their_paths(
    compiler: Running, tmp_path: Path, rpc: str
) -> None:
    for field, put in setters().items():
        for value in NASTY:
            proj = base(tmp_path)
            put(proj, value)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(compiler, rpc, proj)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (field, value)
            assert field in [v.field for v in error_details(caught.value).field_violations], (field, value)
    frame = compiler_pb2.RenderFrameRequest(project=base(tmp_path), time=math.nan)
    with pytest.raises(grpc.aio.AioRpcError) as time_nan:
        await compiler.stub.RenderFrame(frame)
    assert [v.field for v in error_details(time_nan.value).field_violations] == ["time"]
    assert not (tmp_path / "out.mp4").exists()


async def test_large_finite_times_rotations_and_strokes_are_out_of_range(
    compiler: Running, tmp_path: Path
) -> None:
    proj = base(tmp_path)
    proj.tracks[0].clips[0].start = 1e12
    proj.tracks[0].clips[0].fade_out = 1e9
    proj.tracks[0].clips[0].transform.rotation = 1e9
    proj.tracks[0].clips[1].source.text.stroke_width = 5000
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=proj))
    fields = {v.field for v in reply.violations}
    assert {
        "tracks[0].clips[0].start",
        "tracks[0].clips[0].fade_out",
        "tracks[0].clips[0].transform.rotation",
        "tracks[0].clips[1].source.text.stroke_width",
    } <= fields
    for rpc in ("Render", "ExplainRender", "RenderFrame"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(compiler, rpc, proj)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_walker_names_every_bad_number_in_any_message() -> None:
    request = compiler_pb2.RenderFrameRequest(time=math.inf)
    request.project.tracks.add().clips.add().speed = math.nan
    request.project.tracks[0].clips[0].effects.add().params.update({"a": {"b": [1.0, math.nan]}})
    assert {(v.field, v.description) for v in bad_numbers(request)} == {
        ("time", "must be finite, not infinity"),
        ("project.tracks[0].clips[0].speed", "must be a number, not NaN"),
        ("project.tracks[0].clips[0].effects[0].params.a.b[1]", "must be a number, not NaN"),
    }
    paths = {v.field for v in bad_numbers(request, documents=("project",))}
    assert paths == {"time", "tracks[0].clips[0].speed", "tracks[0].clips[0].effects[0].params.a.b[1]"}
