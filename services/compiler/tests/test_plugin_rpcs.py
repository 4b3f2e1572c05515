"""The plugin management RPCs and plugins in timelines, end to end through a real gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.main import main as tstudio_main
from tstudio_compiler.plugins import HostPolicy, PluginRegistry
from tstudio_compiler.settings import CompilerSettings

from .conftest import Running, project, serve
from .plugins.conftest import effect_wat, manifest

EXAMPLES = Path(__file__).resolve().parents[3] / "plugins" / "examples"
ENDLESS_LOOP = "(loop $spin (br $spin)) (i32.const 0)"
WASI_FD_WRITE = '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'


def example(name: str) -> compiler_pb2.InstallPluginRequest:
    folder = EXAMPLES / name
    text = (folder / "plugin.toml").read_text()
    module = next(p for p in folder.iterdir() if p.suffix in (".wasm", ".wat"))
    return compiler_pb2.InstallPluginRequest(manifest=text.encode(), module=module.read_bytes())


def wat_plugin(plugin_id: str, body: str, extra: str = "") -> compiler_pb2.InstallPluginRequest:
    return compiler_pb2.InstallPluginRequest(
        manifest=manifest(plugin_id).encode(), module=effect_wat(body, extra=extra).encode()
    )


@dataclass
class Plugged:
    running: Running
    registry: PluginRegistry
    address: str


@pytest.fixture
async def plugged(tmp_path: Path) -> AsyncIterator[Plugged]:
    settings = CompilerSettings(port=0, data_dir=tmp_path / "data", max_concurrent_renders=2)
    # A short deadline and small ceilings so the hostile modules are stopped quickly.
    registry = PluginRegistry(settings.data_dir / "plugins", HostPolicy(deadline_ms=300, max_memory_pages=64))
    try:
        async for running in serve(settings, registry):
            yield Plugged(running, registry, f"127.0.0.1:{running.port}")
    finally:
        registry.close()


def red_clip(clip_id: str, effects: list[dict], start: float = 0.0) -> dict:  # type: ignore[type-arg]
    return {
        "id": clip_id,
        "source": {"color": {"color": "#ff0000"}},
        "start": start,
        "duration": 0.5,
        "effects": effects,
    }


def edit(output: Path, clips: list[dict]) -> dict:  # type: ignore[type-arg]
    return {
        "settings": {"width": 64, "height": 48, "fps": 30},
        "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": clips}],
        "output": {"path": str(output), "audioCodec": "none"},
    }


async def render_error(running: Running, proj) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in running.stub.Render(compiler_pb2.RenderRequest(project=proj)):
            pass
    return caught.value


def field_violations(error: grpc.aio.AioRpcError) -> list[str]:
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw is not None
    status = status_pb2.Status.FromString(raw)
    fields = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields.extend(v.field for v in bad.field_violations)
    return fields


async def test_install_list_stats_remove_round_trip(plugged: Plugged, tmp_path: Path) -> None:
    running = plugged.running
    stub = running.stub

    installed = (await stub.InstallPlugin(example("invert"))).plugin

    assert (installed.id, installed.type, installed.kind) == (
        "invert",
        "plugin:invert",
        compiler_pb2.PLUGIN_KIND_EFFECT,
    )
    listed = (await stub.ListPlugins(compiler_pb2.ListPluginsRequest())).plugins
    assert [p.id for p in listed] == ["invert"]
    effects = (await stub.ListEffects(compiler_pb2.ListEffectsRequest())).effects
    assert "plugin:invert" in {e.type for e in effects}
    # Persisted: a registry over the same folder (the next start-up) loads it.
    again = PluginRegistry(running.settings.data_dir / "plugins")
    try:
        assert again.load_installed() == ["invert"]
    finally:
        again.close()

    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await stub.InstallPlugin(example("invert"))
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
    request = example("invert")
    request.replace = True
    await stub.InstallPlugin(request)

    job = await _render_ok(running, edit(tmp_path / "inv.mp4", [red_clip("c", [{"type": "plugin:invert"}])]))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED
    stats = (await stub.GetPluginStats(compiler_pb2.GetPluginStatsRequest(plugin_id="invert"))).stats
    assert stats[0].plugin_id == "invert" and stats[0].calls >= 15 and stats[0].faults == 0

    await stub.RemovePlugin(compiler_pb2.RemovePluginRequest(plugin_id="invert"))
    assert not (await stub.ListPlugins(compiler_pb2.ListPluginsRequest())).plugins
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub.RemovePlugin(compiler_pb2.RemovePluginRequest(plugin_id="invert"))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.GetPluginStats(compiler_pb2.GetPluginStatsRequest(plugin_id="invert"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def _render_ok(running: Running, data: dict) -> compiler_pb2.RenderJob:  # type: ignore[type-arg]
    job = None
    async for reply in running.stub.Render(compiler_pb2.RenderRequest(project=project(data))):
        job = reply.job
    assert job is not None
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    return job


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (wat_plugin("sneaky", "(i32.const 0)", extra=WASI_FD_WRITE), "module"),
        (
            compiler_pb2.InstallPluginRequest(manifest=manifest("junk").encode(), module=b"\0asm\1\0"),
            "module",
        ),
        (compiler_pb2.InstallPluginRequest(manifest=manifest("junk").encode(), module=b"not wasm"), "module"),
        (compiler_pb2.InstallPluginRequest(manifest=b"id = 3\n", module=b"\0asm"), "manifest.id"),
        (compiler_pb2.InstallPluginRequest(manifest=b"\xff\xfe", module=b"\0asm"), "manifest"),
        (
            compiler_pb2.InstallPluginRequest(manifest=manifest("big").encode(), module=b"\0" * (9 << 20)),
            "module",
        ),
        (compiler_pb2.InstallPluginRequest(module=b"\0asm"), "manifest"),
    ],
    ids=["wasi-import", "truncated", "not-wasm", "bad-manifest", "not-utf8", "too-large", "no-manifest"],
)
async def test_bad_plugins_are_refused_at_install(
    plugged: Plugged, request_: compiler_pb2.InstallPluginRequest, field: str
) -> None:
    running = plugged.running
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.InstallPlugin(request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    assert field in field_violations(caught.value)
    assert not (await running.stub.ListPlugins(compiler_pb2.ListPluginsRequest())).plugins


async def test_an_endless_loop_fails_only_its_render(plugged: Plugged, tmp_path: Path) -> None:
    running = plugged.running
    await running.stub.InstallPlugin(wat_plugin("spin", ENDLESS_LOOP))
    await running.stub.InstallPlugin(example("invert"))

    error = await render_error(
        running, project(edit(tmp_path / "spin.mp4", [red_clip("c", [{"type": "plugin:spin"}])]))
    )

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "'spin'" in (error.details() or "")
    assert not (tmp_path / "spin.mp4").exists()
    # The compiler keeps serving: another render with another plugin succeeds.
    await _render_ok(running, edit(tmp_path / "ok.mp4", [red_clip("c", [{"type": "plugin:invert"}])]))
    stats = (await running.stub.GetPluginStats(compiler_pb2.GetPluginStatsRequest())).stats
    spin = next(s for s in stats if s.plugin_id == "spin")
    assert spin.faults == 1 and sum(spin.faults_by_reason.values()) == 1
    assert spin.last_fault


async def test_plugin_rpcs_without_a_plugin_host_fail_precondition(compiler: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await compiler.stub.ListPlugins(compiler_pb2.ListPluginsRequest())
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_cli_installs_lists_and_removes_a_folder(
    plugged: Plugged, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = plugged.registry
    address = ["plugin", "--address", plugged.address]

    def cli(*argv: str) -> int:
        return tstudio_main([*address, *argv])

    # The CLI uses blocking gRPC: run it off the loop that serves the compiler.
    assert await asyncio.to_thread(cli, "install", str(EXAMPLES / "invert")) == 0
    assert "installed invert 1.0.0 (effect): plugin:invert" in capsys.readouterr().out
    assert [p.manifest.id for p in registry.list_plugins()] == ["invert"]

    assert await asyncio.to_thread(cli, "list") == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:3] == ["invert", "1.0.0", "effect"]

    assert await asyncio.to_thread(cli, "install", str(EXAMPLES / "invert")) == 1
    assert "ALREADY_EXISTS" in capsys.readouterr().err

    hostile = tmp_path / "sneaky"
    hostile.mkdir()
    (hostile / "plugin.toml").write_text(manifest("sneaky", module="sneaky.wat"))
    (hostile / "sneaky.wat").write_text(effect_wat("(i32.const 0)", extra=WASI_FD_WRITE))
    assert await asyncio.to_thread(cli, "install", str(hostile)) == 1
    assert "INVALID_ARGUMENT" in capsys.readouterr().err
    assert await asyncio.to_thread(cli, "install", str(tmp_path / "nowhere")) == 2

    assert await asyncio.to_thread(cli, "remove", "invert") == 0
    assert not registry.list_plugins()
    assert await asyncio.to_thread(cli, "remove", "invert") == 1
    assert "NOT_FOUND" in capsys.readouterr().err
