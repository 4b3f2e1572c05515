"""Plugin transitions (`plugin:<id>`) in timelines, through a real gRPC server: listed, validated with
field paths, rendered frame by frame by the plugin (render and RenderFrame), refused by ExplainRender,
kept out of the segment cache, and a hostile one fails only its own render."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from PIL import Image
from svckit.grpc_errors import error_details
from svckit.settings import load_settings
from svckit.testing import make_video
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.domain.effects import EffectCatalog, builtin_effects
from tstudio_compiler.domain.params import number
from tstudio_compiler.domain.planner import Planner
from tstudio_compiler.domain.transitions import TransitionCatalog, TransitionDef, builtin_transitions
from tstudio_compiler.plugins import HostPolicy, PluginRegistry
from tstudio_compiler.plugins.policy import host_policy
from tstudio_compiler.settings import CompilerSettings

from ..conftest import Running, decode_rgb, project
from ..test_domain import DEMO_SOURCES, demo
from ..test_plugin_rpcs import _render_ok, example, field_violations, render_error
from .conftest import manifest, serve_with_plugins, transition_wat

FPS = 30
# Clip A (red video) 0..1 s, clip B (blue colour) 0.5..1.5 s: the transition covers frames 15..29.
FIRST, LAST = 15, 29
# A white box on an overlay track from 0.7 s cuts the transition into two segments.
BOX_FROM = 0.7
ENDLESS_LOOP = "(loop $spin (br $spin)) (i32.const 0)"
SOFTNESS = '[[params]]\nname = "softness"\ntype = "number"\nmin = 0.0\nmax = 1.0\ndefault = 0.5\n'


@pytest.fixture
async def plugged(tmp_path: Path) -> AsyncIterator[Running]:
    # The segment cache is on, so the tests also prove plugin transitions take the single-pass path.
    settings = CompilerSettings(port=0, data_dir=tmp_path / "data", segment_cache_bytes=64 << 20)
    # A short deadline and small ceilings so a hostile module is stopped quickly.
    registry = PluginRegistry(None, HostPolicy(deadline_ms=300, max_memory_pages=64))
    async for running in serve_with_plugins(settings, registry):
        await running.stub.InstallPlugin(example("crossfade"))
        yield running


@pytest.fixture(scope="module")
def red(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Not the output size, so the outgoing side is scaled by its own graph before the plugin sees it.
    path = tmp_path_factory.mktemp("transition-media") / "red.mp4"
    return make_video(path, seconds=1.0, width=80, height=60, colors=((255, 0, 0),), audio_hz=None)


def edit(red: Path, output: Path, transition: dict[str, Any]) -> dict[str, Any]:
    return {
        "settings": {"width": 64, "height": 48, "fps": FPS},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    # atadenoise holds frames back: the side's graph must be flushed at the end.
                    {
                        "id": "a",
                        "source": {"path": str(red)},
                        "start": 0,
                        "effects": [{"type": "noise-reduction"}],
                    },
                    {
                        "id": "b",
                        "source": {"color": {"color": "#0000ff"}},
                        "start": 0.5,
                        "duration": 1.0,
                        "transition": transition,
                    },
                ],
            },
            {
                "id": "o",
                "kind": "TRACK_KIND_OVERLAY",
                "clips": [
                    {
                        "id": "box",
                        "source": {"color": {"color": "#ffffff"}},
                        "start": BOX_FROM,
                        "duration": 1.5 - BOX_FROM,
                        "transform": {"x": 0.15, "y": 0.15, "scale": 0.25},
                    }
                ],
            },
        ],
        "output": {"path": str(output), "audioCodec": "none"},
    }


def crossfade(red: Path, output: Path) -> dict[str, Any]:
    return edit(red, output, {"type": "plugin:crossfade", "duration": 0.5})


def corner(rgb: np.ndarray) -> np.ndarray:
    """Mean colour of the bottom-right quarter (clear of the white box)."""
    h, w = rgb.shape[:2]
    return rgb[h // 2 :, w // 2 :].reshape(-1, 3).mean(axis=0)


def blend(a: np.ndarray, b: np.ndarray, progress: float) -> np.ndarray:
    """The crossfade example's arithmetic (plugins/examples/crossfade/crossfade.c) in numpy."""
    k = min(256, int(progress * 256 + 0.5))
    return (a * (256 - k) + b * k + 128) // 256


class _OnePluginTransition:
    def transitions(self) -> list[TransitionDef]:
        return [TransitionDef("plugin:xf", "XF", "", (number("mix", 0, 1, 0.5),), origin="plugin")]


def test_the_plan_describes_a_plugin_transition_as_one_input_of_its_segment() -> None:
    transitions = TransitionCatalog(builtin_transitions(), [_OnePluginTransition()])
    model = demo()
    track = model.tracks[0]
    joined = replace(track.clips[1], transition=replace(track.clips[1].transition, type="plugin:xf"))
    model = replace(
        model, tracks=(replace(track, clips=(track.clips[0], joined, *track.clips[2:])), *model.tracks[1:])
    )

    plan = Planner(EffectCatalog(builtin_effects()), transitions).plan(model, DEMO_SOURCES)

    overlap = plan.segments[3]  # the demo's crossfade, frames 90..120
    assert (overlap.start_frame, overlap.end_frame) == (90, 120)
    assert "xfade" not in overlap.graph.graph.render()
    (spec,) = [i for i in overlap.graph.inputs if i.kind == "transition"]
    assert spec.transition is not None and spec.clip_id == "c2" and spec.first_frame == 0
    assert (spec.transition.type, spec.transition.params, spec.transition.frames) == (
        "plugin:xf",
        {"mix": 0.5},
        30,
    )
    assert [i.clip_id for i in spec.transition.outgoing.inputs] == ["c1"]
    assert [i.clip_id for i in spec.transition.incoming.inputs] == ["c2"]
    assert spec.plugin_types() == ("plugin:xf",)
    # The demo's other transition is still an xfade.
    assert "xfade=transition=wipeleft" in plan.segments[5].graph.graph.render()


async def test_plugin_transitions_are_listed_with_their_origin(plugged: Running) -> None:
    await plugged.stub.InstallPlugin(_soft_plugin())
    listed = (await plugged.stub.ListTransitions(compiler_pb2.ListTransitionsRequest())).transitions
    by_type = {t.type: t for t in listed}
    assert by_type["plugin:crossfade"].origin == "plugin"
    assert [p.name for p in by_type["plugin:soft"].params] == ["softness"]
    assert by_type["fade"].origin == "builtin"


async def test_the_plugin_blends_every_frame_of_the_overlap(
    plugged: Running, red: Path, tmp_path: Path
) -> None:
    output = tmp_path / "crossfade.mp4"

    job = await _render_ok(plugged, crossfade(red, output))

    frames = [corner(f) for f in decode_rgb(output)]
    assert len(frames) == 45
    pure_a, pure_b = frames[0], frames[-1]
    assert np.allclose(pure_a, (255, 0, 0), atol=8) and np.allclose(pure_b, (0, 0, 255), atol=8)
    for i in range(FIRST):
        np.testing.assert_allclose(frames[i], pure_a, atol=4, err_msg=f"frame {i} before the transition")
    for i in range(LAST + 1, len(frames)):
        np.testing.assert_allclose(frames[i], pure_b, atol=4, err_msg=f"frame {i} after the transition")
    # Progress runs 0..1 over the overlap: its first frame is all A, its last all B.
    for i in range(FIRST, LAST + 1):
        expected = blend(pure_a, pure_b, (i - FIRST) / (LAST - FIRST))
        np.testing.assert_allclose(frames[i], expected, atol=6, err_msg=f"frame {i} of the transition")
    np.testing.assert_allclose(frames[FIRST], pure_a, atol=4)
    np.testing.assert_allclose(frames[LAST], pure_b, atol=4)
    # One plugin call per transition frame, though the box cut the transition into two segments.
    stats = (
        await plugged.stub.GetPluginStats(compiler_pb2.GetPluginStatsRequest(plugin_id="crossfade"))
    ).stats
    assert stats[0].calls == LAST - FIRST + 1 and stats[0].faults == 0
    # The cache key cannot see plugin code: the render went in one pass and cached nothing.
    assert job.result.segments_reused == 0
    cached = (await plugged.stub.GetCacheStats(compiler_pb2.GetCacheStatsRequest())).stats
    assert cached.enabled and cached.entries == 0 and cached.misses == 0


async def test_render_frame_mid_transition_shows_the_blend(
    plugged: Running, red: Path, tmp_path: Path
) -> None:
    async def at(seconds: float) -> np.ndarray:
        request = compiler_pb2.RenderFrameRequest(
            project=project(crossfade(red, tmp_path / "unused.mp4")),
            time=seconds,
            format=compiler_pb2.IMAGE_FORMAT_PNG,
        )
        reply = await plugged.stub.RenderFrame(request)
        return corner(np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB")))

    pure_a, pure_b = await at(0.1), await at(1.4)
    middle = (FIRST + LAST) // 2

    shown = await at((middle + 0.25) / FPS)

    np.testing.assert_allclose(shown, blend(pure_a, pure_b, 0.5), atol=6)
    assert np.allclose(pure_a, (255, 0, 0), atol=8) and np.allclose(pure_b, (0, 0, 255), atol=8)


@pytest.mark.parametrize(
    ("transition", "fields"),
    [
        ({"type": "plugin:nope", "duration": 0.5}, ["tracks[0].clips[1].transition.type"]),
        (
            {"type": "plugin:soft", "duration": 0.5, "params": {"softness": 5, "grain": 1}},
            ["tracks[0].clips[1].transition.params.softness", "tracks[0].clips[1].transition.params.grain"],
        ),
    ],
    ids=["unknown-plugin", "bad-params"],
)
async def test_bad_plugin_transitions_are_invalid_with_their_field_paths(
    plugged: Running, red: Path, tmp_path: Path, transition: dict[str, Any], fields: list[str]
) -> None:
    await plugged.stub.InstallPlugin(_soft_plugin())
    bad = project(edit(red, tmp_path / "bad.mp4", transition))

    reply = await plugged.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=bad))
    error = await render_error(plugged, bad)

    assert not reply.valid
    assert sorted(v.field for v in reply.violations) == sorted(fields)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(field_violations(error)) == sorted(fields)
    assert not (tmp_path / "bad.mp4").exists()


async def test_good_params_of_a_plugin_transition_validate(
    plugged: Running, red: Path, tmp_path: Path
) -> None:
    await plugged.stub.InstallPlugin(_soft_plugin())
    good = edit(
        red, tmp_path / "ok.mp4", {"type": "plugin:soft", "duration": 0.5, "params": {"softness": 0.25}}
    )

    reply = await plugged.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(good)))

    assert reply.valid, reply.violations


async def test_explain_render_says_a_plugin_transition_has_no_ffmpeg_command(
    plugged: Running, red: Path, tmp_path: Path
) -> None:
    request = compiler_pb2.ExplainRenderRequest(project=project(crossfade(red, tmp_path / "x.mp4")))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await plugged.stub.ExplainRender(request)

    rich = error_details(caught.value)
    assert rich.code == grpc.StatusCode.FAILED_PRECONDITION
    assert rich.reason == "NOT_EXPRESSIBLE_IN_FFMPEG"
    assert "plugin:crossfade" in rich.message


async def test_an_endless_loop_transition_fails_only_its_render(
    plugged: Running, red: Path, tmp_path: Path
) -> None:
    spin = compiler_pb2.InstallPluginRequest(
        manifest=manifest("spin", kind="transition").encode(), module=transition_wat(ENDLESS_LOOP).encode()
    )
    await plugged.stub.InstallPlugin(spin)

    error = await render_error(
        plugged, project(edit(red, tmp_path / "spin.mp4", {"type": "plugin:spin", "duration": 0.5}))
    )

    rich = error_details(error)
    assert rich.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "plugin 'spin' ran out of fuel" in rich.message
    # The plugin's own reason and id reach the caller, not a generic render failure.
    assert rich.reason.startswith("PLUGIN_") and rich.metadata["plugin_id"] == "spin"
    assert rich.metadata["job_id"]
    assert not (tmp_path / "spin.mp4").exists()
    # The compiler keeps serving: the same timeline with a sound transition renders.
    await _render_ok(plugged, crossfade(red, tmp_path / "ok.mp4"))


def test_plugin_settings_reach_the_host_policy() -> None:
    settings = load_settings(
        CompilerSettings,
        "COMPILER",
        {
            "COMPILER_PLUGIN_MAX_FUEL_PER_PIXEL": "150",
            "COMPILER_PLUGIN_BASE_FUEL": "1000",
            "COMPILER_PLUGIN_MAX_MEMORY_PAGES": "32",
            "COMPILER_PLUGIN_DEADLINE_MS": "250",
            "COMPILER_PLUGIN_MAX_MODULE_BYTES": "4096",
            "COMPILER_PLUGIN_ALLOWED_PERMISSIONS": "wasi:clocks",
        },
    )

    policy = host_policy(settings)

    assert policy == HostPolicy(
        max_fuel_per_pixel=150,
        base_fuel=1000,
        max_memory_pages=32,
        deadline_ms=250,
        max_module_bytes=4096,
        allowed_permissions=("wasi:clocks",),
    )
    # Unset, the settings keep the host's own defaults.
    assert host_policy(CompilerSettings()) == HostPolicy()


def _soft_plugin() -> compiler_pb2.InstallPluginRequest:
    """A transition with one param that keeps the outgoing frame (enough for validation)."""
    return compiler_pb2.InstallPluginRequest(
        manifest=manifest("soft", kind="transition", extra=SOFTNESS).encode(),
        module=transition_wat("(i32.const 0)").encode(),
    )
