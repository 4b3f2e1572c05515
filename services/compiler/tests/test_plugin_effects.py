"""Plugin effects (`plugin:<id>`) from the WASM plugin registry render like built-in ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.plugins.registry import PluginRegistry
from tstudio_compiler.settings import CompilerSettings

from .conftest import Running, decode_rgb, project, serve
from .test_render import render

EXAMPLES = Path(__file__).resolve().parents[3] / "plugins" / "examples"


@pytest.fixture
async def with_plugins(tmp_path: Path) -> AsyncIterator[Running]:
    registry = PluginRegistry(None)
    registry.load_dir(EXAMPLES / "invert")
    settings = CompilerSettings(port=0, data_dir=tmp_path / "data")
    try:
        async for running in serve(settings, registry):
            yield running
    finally:
        registry.close()


def edit(output: Path) -> dict:  # type: ignore[type-arg]
    return {
        "settings": {"width": 64, "height": 48, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": "c",
                        "source": {"color": {"color": "#ff0000"}},
                        "start": 0,
                        "duration": 0.5,
                        "effects": [{"type": "plugin:invert"}],
                    }
                ],
            }
        ],
        "output": {"path": str(output), "audioCodec": "none"},
    }


async def test_a_plugin_effect_is_listed_and_renders(with_plugins: Running, tmp_path: Path) -> None:
    effects = (await with_plugins.stub.ListEffects(compiler_pb2.ListEffectsRequest())).effects
    plugin = next(e for e in effects if e.type == "plugin:invert")
    assert plugin.origin == "plugin"

    job = await render(with_plugins, project(edit(tmp_path / "inverted.mp4")))

    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(tmp_path / "inverted.mp4")
    assert len(frames) == 15
    assert np.allclose(frames[7].reshape(-1, 3).mean(axis=0), (0, 255, 255), atol=24)  # red inverted


async def test_plugin_effects_have_no_ffmpeg_command_and_unknown_plugins_are_refused(
    with_plugins: Running, compiler: Running, tmp_path: Path
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await with_plugins.stub.ExplainRender(
            compiler_pb2.ExplainRenderRequest(project=project(edit(tmp_path / "x.mp4")))
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    # A compiler without the plugin refuses the name at validation, never dropping it silently.
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(edit(tmp_path / "x.mp4")))
    )
    assert [v.field for v in reply.violations] == ["tracks[0].clips[0].effects[0].type"]
