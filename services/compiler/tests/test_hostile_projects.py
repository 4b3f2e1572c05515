"""Property tests (hypothesis): hostile projects for ValidateProject (issue 15). Whatever the project
(NaN, infinities, 1e308, negative and huge sizes, unknown effects and params, FIFOs, devices,
folders, missing files, over-long and odd paths), the answer is a reply with field-pathed
violations or a documented error status with field paths; never INTERNAL or UNKNOWN, and the
service keeps serving. One compiler serves every example (a real grpc.aio server on port 0)."""

from __future__ import annotations

import asyncio
import math
import os
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2

from .conftest import Media, Running

DOCUMENTED = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.OUT_OF_RANGE,
}
HOSTILE_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1.0, 0.5, 2.0, 1e308, -1e308, 5e-324, 1e15, 1e16, 86400.0, math.nan]),
)
SIZES = st.one_of(
    st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 2, 15, 16, 17, 320, 7680, 7682, 100000])
)


def paths(media: Media, hostile: Path) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                "",
                str(media.red_green),
                str(media.logo),
                str(media.tone),
                str(hostile / "fifo.mp4"),
                str(hostile / "folder"),
                str(hostile / "missing.mp4"),
                str(hostile / "bomb.png"),
                "/dev/zero",
                "/proc/self/fd/0",
                "~nosuchuser/x.mp4",
                "x" * 5000,
                "a\x00b",
                "../../../../etc/passwd",
            ]
        ),
        st.text(max_size=40),
    )


def struct_params() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.one_of(HOSTILE_FLOATS, st.text(max_size=10), st.booleans(), st.none())
    return st.dictionaries(
        st.sampled_from(["radius", "value", "amount", "x", "", "ünï"]),
        st.one_of(leaf, st.lists(leaf, max_size=3), st.dictionaries(st.text(max_size=3), leaf, max_size=2)),
        max_size=3,
    )


def effects() -> st.SearchStrategy[list[tuple[str, dict[str, Any]]]]:
    kinds = st.one_of(
        st.sampled_from(["blur", "brightness", "film-grain", "chroma-key", "volume", "plugin:nope", ""]),
        st.text(max_size=12),
    )
    return st.lists(st.tuples(kinds, struct_params()), max_size=2)


@st.composite
def projects(draw: st.DrawFn, media: Media, hostile: Path) -> project_pb2.Project:
    p = project_pb2.Project(name=draw(st.text(max_size=20)))
    s = p.settings
    s.width, s.height = draw(SIZES), draw(SIZES)
    s.fps = draw(HOSTILE_FLOATS)
    s.sample_rate = draw(st.sampled_from([0, 48000, -1, 8000, 10**9]))
    s.channels = draw(st.integers(-3, 9))
    s.background_color = draw(st.sampled_from(["", "#000000", "nope", "#12345678", "x" * 300]))
    for _ in range(draw(st.integers(0, 3))):
        track = p.tracks.add(id=draw(st.text(max_size=5)), kind=draw(st.integers(0, 4)))
        if draw(st.booleans()):
            track.volume = draw(HOSTILE_FLOATS)
        for _ in range(draw(st.integers(0, 3))):
            clip = track.clips.add(id=draw(st.sampled_from(["a", "b", "", "a"])))
            which = draw(st.sampled_from(["path", "text", "color", "none"]))
            if which == "path":
                clip.source.path = draw(paths(media, hostile))
            elif which == "text":
                clip.source.text.text = draw(st.text(max_size=50))
                clip.source.text.font_size = draw(HOSTILE_FLOATS)
                clip.source.text.stroke_width = draw(HOSTILE_FLOATS)
                clip.source.text.color = draw(st.sampled_from(["", "#fff", "nope"]))
            elif which == "color":
                clip.source.color.color = draw(st.sampled_from(["#ff0000", "", "red", "#zzzzzz"]))
            for name in ("start", "source_in", "source_out", "duration", "fade_in", "fade_out"):
                setattr(clip, name, draw(HOSTILE_FLOATS))
            for name in ("speed", "volume", "opacity"):
                if draw(st.booleans()):
                    setattr(clip, name, draw(HOSTILE_FLOATS))
            clip.transform.rotation = draw(HOSTILE_FLOATS)
            if draw(st.booleans()):
                clip.transform.scale = draw(HOSTILE_FLOATS)
                clip.transform.x = draw(HOSTILE_FLOATS)
            for name in ("left", "top", "right", "bottom"):
                setattr(clip.crop, name, draw(HOSTILE_FLOATS))
            for kind, params in draw(effects()):
                clip.effects.add(type=kind).params.update(params)
            for kind, params in draw(effects()):
                clip.audio_effects.add(type=kind).params.update(params)
            if draw(st.booleans()):
                clip.transition.type = draw(st.sampled_from(["crossfade", "wipe-left", "nope", ""]))
                clip.transition.duration = draw(HOSTILE_FLOATS)
    o = p.output
    o.path = draw(paths(media, hostile))
    o.container = draw(st.sampled_from(["mp4", "mkv", "avi", "", "gif"]))
    o.video_codec = draw(st.sampled_from(["h264", "", "nope", "gif"]))
    o.crf = draw(st.integers(-(2**31), 2**31 - 1))
    o.width, o.height = draw(SIZES), draw(SIZES)
    o.fps = draw(HOSTILE_FLOATS)
    o.video_bitrate = draw(st.integers(-(2**63), 2**63 - 1))
    p.base_dir = draw(st.sampled_from(["", str(hostile), "/nonexistent", "relative/dir"]))
    return p


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    from svckit.testing import make_png_bomb

    os.mkfifo(tmp_path / "fifo.mp4")
    (tmp_path / "folder").mkdir()
    make_png_bomb(tmp_path / "bomb.png")
    return tmp_path


def check(
    stub: compiler_pb2_grpc.CompilerServiceStub, proj: project_pb2.Project, frame: bool = False
) -> None:
    """ValidateProject answers with field paths; with `frame`, a project it calls valid also renders
    a preview frame and explains its ffmpeg command (or is refused with a documented status)."""
    try:
        reply = stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=proj), timeout=30)
    except grpc.RpcError as exc:
        documented(exc)
        return
    if not reply.valid:
        assert reply.violations
        assert all(v.field and v.description for v in reply.violations), list(reply.violations)
    elif frame:
        for call in (
            lambda: stub.RenderFrame(
                compiler_pb2.RenderFrameRequest(project=proj, time=0.5, width=160), timeout=60
            ),
            lambda: stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=proj), timeout=60),
        ):
            try:
                call()
            except grpc.RpcError as exc:
                documented(exc, paths=False)


def documented(exc: grpc.RpcError, paths: bool = True) -> None:
    code = exc.code()  # type: ignore[attr-defined]
    assert code in DOCUMENTED, (code, exc.details())  # type: ignore[attr-defined]
    violations = error_details(exc).field_violations
    if paths or code is grpc.StatusCode.INVALID_ARGUMENT:
        assert violations and all(v.field for v in violations), exc.details()  # type: ignore[attr-defined]


@pytest.mark.timeout(240)
async def test_hostile_projects_get_documented_answers_with_field_paths(
    compiler: Running, media: Media, hostile: Path
) -> None:
    def examples() -> None:
        # Hypothesis drives a blocking client in a thread; the server keeps running on this loop.
        with grpc.insecure_channel(f"127.0.0.1:{compiler.port}") as channel:
            stub = compiler_pb2_grpc.CompilerServiceStub(channel)

            @settings(
                max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
                deadline=None,
                derandomize="HOSTILE_EXAMPLES" not in os.environ,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            )
            @given(proj=projects(media, hostile))
            def one(proj: project_pb2.Project) -> None:
                check(stub, proj)

            one()

    await asyncio.to_thread(examples)
    ok = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project_pb2.Project())
    )
    assert not ok.valid  # still answering


def base_project(media: Media, hostile: Path) -> project_pb2.Project:
    """Valid and renderable: a video clip, a text overlay, a sound clip."""
    p = project_pb2.Project()
    p.settings.width, p.settings.height, p.settings.fps = 160, 120, 30
    p.output.path = str(hostile / "out" / "o.mp4")
    video = p.tracks.add(id="v", kind=project_pb2.TRACK_KIND_VIDEO)
    a = video.clips.add(id="a", start=0, duration=1)
    a.source.path = str(media.red_green)
    overlay = p.tracks.add(id="o", kind=project_pb2.TRACK_KIND_OVERLAY)
    b = overlay.clips.add(id="b", start=0.5, duration=0.5)
    b.source.text.text = "hi"
    b.source.text.font_size = 20
    audio = p.tracks.add(id="s", kind=project_pb2.TRACK_KIND_AUDIO)
    audio.clips.add(id="c", start=0, duration=1).source.path = str(media.tone)
    return p


@st.composite
def near_valid(draw: st.DrawFn, media: Media, hostile: Path) -> project_pb2.Project:
    """The base project with one or two hostile values, so the answer comes from probing and
    planning, not from the first validation pass."""
    p = base_project(media, hostile)
    (video, overlay, audio) = p.tracks
    a, b = video.clips[0], overlay.clips[0]
    mutations = [
        lambda: setattr(a.source, "path", draw(paths(media, hostile))),
        lambda: setattr(audio.clips[0].source, "path", draw(paths(media, hostile))),
        lambda: setattr(p.output, "path", draw(paths(media, hostile))),
        lambda: setattr(
            a, draw(st.sampled_from(["start", "source_in", "source_out", "duration"])), draw(HOSTILE_FLOATS)
        ),
        lambda: setattr(a, "speed", draw(HOSTILE_FLOATS)),
        lambda: setattr(b.transform, "rotation", draw(HOSTILE_FLOATS)),
        lambda: setattr(b.transform, "scale", draw(HOSTILE_FLOATS)),
        lambda: setattr(b.source.text, "font_size", draw(HOSTILE_FLOATS)),
        lambda: setattr(b.source.text, "stroke_width", draw(HOSTILE_FLOATS)),
        lambda: setattr(
            a.crop, draw(st.sampled_from(["left", "top", "right", "bottom"])), draw(HOSTILE_FLOATS)
        ),
        lambda: setattr(p.settings, "fps", draw(HOSTILE_FLOATS)),
        lambda: setattr(p.settings, "width", draw(SIZES)),
        lambda: setattr(p.output, "fps", draw(HOSTILE_FLOATS)),
        lambda: a.effects.add(type=draw(st.sampled_from(["blur", "brightness", "chroma-key"]))).params.update(
            draw(struct_params())
        ),
        lambda: setattr(p, "base_dir", draw(paths(media, hostile))),
    ]
    for index in draw(st.lists(st.integers(0, len(mutations) - 1), min_size=1, max_size=2)):
        mutations[index]()
    return p


@pytest.mark.timeout(240)
async def test_near_valid_projects_with_one_hostile_value_get_documented_answers(
    compiler: Running, media: Media, hostile: Path
) -> None:
    (hostile / "out").mkdir()
    base = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=base_project(media, hostile))
    )
    assert base.valid, list(base.violations)

    def examples() -> None:
        with grpc.insecure_channel(f"127.0.0.1:{compiler.port}") as channel:
            stub = compiler_pb2_grpc.CompilerServiceStub(channel)

            @settings(
                max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
                deadline=None,
                derandomize="HOSTILE_EXAMPLES" not in os.environ,
                database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            )
            @given(proj=near_valid(media, hostile))
            def one(proj: project_pb2.Project) -> None:
                check(stub, proj, frame=True)

            one()

    await asyncio.to_thread(examples)
    health = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project_pb2.Project())
    )
    assert not health.valid
