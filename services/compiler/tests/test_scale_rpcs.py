"""The scale-out RPCs served by the real compiler: relinking (with the fingerprint ledger recorded on
each render), the segment cache's ClearCache / GetCacheStats, and rendering with no_cache."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import shutil
from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_video
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.commands import render as render_command
from tstudio_cli.demo_media import write_demo
from tstudio_cli.main import main as cli_main
from tstudio_compiler.scale.adapters.fingerprint_ledger import LEDGER_NAME

from .conftest import Running, project, start_compiler


async def render(running: Running, request: compiler_pb2.RenderRequest) -> compiler_pb2.RenderJob:
    job = None
    async for reply in running.stub.Render(request):
        job = reply.job
    assert job is not None and job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job
    return job


async def cache_stats(running: Running) -> compiler_pb2.CacheStats:
    return (await running.stub.GetCacheStats(compiler_pb2.GetCacheStatsRequest())).stats


async def test_a_render_records_fingerprints_so_relink_finds_a_renamed_source_and_refuses_an_impostor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "proj"
    make_video(folder / "media" / "a.mp4", seconds=1.0, colors=[(255, 0, 0)], audio_hz=None)
    data = {
        "name": "relink",
        "tracks": [
            {
                "id": "v1",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c1", "source": {"path": "media/a.mp4"}, "sourceOut": 1}],
            }
        ],
        "output": {"path": str(tmp_path / "out.mp4")},
    }
    project_file = folder / "project.json"
    project_file.write_text(json.dumps(data))
    async for running in start_compiler(tmp_path, allowed_roots=(tmp_path,)):
        await render(running, compiler_pb2.RenderRequest(project=project(data, folder)))
        # The render alone (no relink call before it) left the ledger beside the project.
        assert (folder / LEDGER_NAME).is_file()

        library = tmp_path / "library"
        (library / "other").mkdir(parents=True)
        shutil.move(folder / "media" / "a.mp4", library / "take-07.mp4")
        make_video(library / "other" / "a.mp4", seconds=1.0, colors=[(0, 255, 0)], audio_hz=None)

        missing = await running.stub.FindMissingMedia(
            compiler_pb2.FindMissingMediaRequest(project=project(data, folder))
        )
        assert [m.path for m in missing.missing] == ["media/a.mp4"]
        relinked = await running.stub.RelinkMedia(
            compiler_pb2.RelinkMediaRequest(project=project(data, folder), search_roots=[str(library)])
        )
        assert [p.new_path for p in relinked.proposals] == [str(library / "take-07.mp4")]

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.RelinkMedia(
                compiler_pb2.RelinkMediaRequest(project=project(data, folder), search_roots=["/etc"])
            )
        assert error_details(caught.value).code is grpc.StatusCode.PERMISSION_DENIED

        code = await asyncio.to_thread(
            cli_main,
            [
                "relink",
                str(project_file),
                "--search",
                str(library),
                "--address",
                _address(running),
                "--apply",
            ],
        )
        err = capsys.readouterr().err
        assert code == 0, err
        # Through this server, not the CLI's in-process fallback.
        assert "does not serve" not in err and "not reachable" not in err
        clips = json.loads(project_file.read_text())["tracks"][0]["clips"]
        assert clips[0]["source"]["path"] == str(library / "take-07.mp4")


def _address(running: Running) -> str:
    return f"127.0.0.1:{running.port}"


async def test_cache_stats_count_hits_no_cache_bypasses_it_and_clear_cache_empties_it(tmp_path: Path) -> None:
    project_file = write_demo(tmp_path / "demo", width=160, height=90)
    demo = json.loads(project_file.read_text())
    demo["output"]["path"] = str(tmp_path / "out.mp4")
    proj = project(demo, tmp_path / "demo")
    async for running in start_compiler(tmp_path, segment_cache_bytes=1 << 30):
        first = await render(running, compiler_pb2.RenderRequest(project=proj))
        stats = await cache_stats(running)
        # Every segment, and the encoded sound mix.
        assert stats.enabled and stats.entries == first.result.segments_total + 1 > 1
        assert stats.hits == 0 and stats.misses == stats.entries

        # From scratch: the cache is neither read nor written.
        fresh = await render(running, compiler_pb2.RenderRequest(project=proj, no_cache=True))
        assert fresh.result.segments_reused == 0
        assert await cache_stats(running) == stats

        again = await render(running, compiler_pb2.RenderRequest(project=proj))
        assert again.result.segments_reused == again.result.segments_total
        assert (await cache_stats(running)).hits == stats.entries

        cleared = await running.stub.ClearCache(compiler_pb2.ClearCacheRequest())
        assert cleared.removed == stats.entries
        after = await cache_stats(running)
        assert (after.entries, after.bytes) == (0, 0)
        # `tstudio render --no-cache` asks for the same.
        # render.run's default `err` is the sys.stderr of import time (closed by pytest's capture
        # between tests), so the command runs with its own stream.
        args = argparse.Namespace(
            project=project_file,
            output=tmp_path / "cli.mp4",
            server=_address(running),
            no_cache=True,
            preview=False,
        )
        code = await asyncio.to_thread(render_command.run, args, io.StringIO())
        assert code == 0 and (tmp_path / "cli.mp4").stat().st_size > 0
        assert (await cache_stats(running)).entries == 0
        submitted = await running.stub.SubmitRender(
            compiler_pb2.SubmitRenderRequest(project=proj, no_cache=True)
        )
        assert submitted.job.id


async def test_cache_rpcs_without_a_segment_cache(tmp_path: Path) -> None:
    async for compiler in start_compiler(tmp_path, segment_cache_bytes=0):  # the cache is on by default
        assert not (await cache_stats(compiler)).enabled
        assert (await compiler.stub.ClearCache(compiler_pb2.ClearCacheRequest())).removed == 0
