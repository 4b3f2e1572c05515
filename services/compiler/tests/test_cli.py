"""End to end: `python -m tstudio_compiler` as a process, driven by `tstudio render`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import av
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from svckit.testing import free_port
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio_cli.demo_media import write_demo

from .conftest import project

TSTUDIO = [sys.executable, "-m", "tstudio_cli.main"]


@pytest.fixture
async def server_process(tmp_path: Path) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    port = free_port()
    env = {
        **os.environ,
        "COMPILER_PORT": str(port),
        "COMPILER_LOG_FORMAT": "text",
        "COMPILER_DATA_DIR": str(tmp_path / "data"),
        "COMPILER_MAX_WORKERS": "2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tstudio_compiler",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for _ in range(200):
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the compiler did not start")
        yield address, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture
def server(server_process: tuple[str, asyncio.subprocess.Process]) -> str:
    return server_process[0]


async def test_tstudio_render_renders_a_project_file(server: str, tmp_path: Path) -> None:
    project_file = write_demo(tmp_path / "demo", width=160, height=90)
    out = tmp_path / "elsewhere.mp4"
    process = await asyncio.create_subprocess_exec(
        *TSTUDIO,
        "render",
        str(project_file),
        "-o",
        str(out),
        "--preview",
        "--server",
        server,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == str(out)
    assert "100.0%" in stderr.decode()
    with av.open(str(out)) as container:  # the 1280x720 demo in the preview profile
        assert (container.streams.video[0].width, container.streams.video[0].height) == (640, 360)


async def test_tstudio_render_reports_invalid_projects(server: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "tracks": [
                    {
                        "id": "v",
                        "kind": "TRACK_KIND_VIDEO",
                        "clips": [{"id": "c", "source": {"path": "missing.mp4"}, "start": -1}],
                    }
                ],
                "output": {"path": "o.mp4"},
            }
        )
    )
    process = await asyncio.create_subprocess_exec(
        *TSTUDIO,
        "render",
        str(bad),
        "--server",
        server,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 1
    assert "INVALID_ARGUMENT" in stderr.decode() and "tracks[0].clips[0].start" in stderr.decode()


async def test_ctrl_c_cancels_the_job_and_leaves_no_output(server: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "long.mp4"
    project_file = tmp_path / "long.json"
    project_file.write_text(
        json.dumps(
            {
                "settings": {"width": 320, "height": 240, "fps": 30},
                "tracks": [
                    {
                        "id": "v",
                        "kind": "TRACK_KIND_VIDEO",
                        "clips": [
                            {
                                "id": "c",
                                "source": {"color": {"color": "#446688"}},
                                "start": 0,
                                "duration": 30,
                                "effects": [
                                    {"type": "blur", "params": {"radius": 20}},
                                    {"type": "film-grain"},
                                ],
                            }
                        ],
                    }
                ],
                "output": {"path": str(out), "preset": "medium"},
            }
        )
    )
    process = await asyncio.create_subprocess_exec(
        *TSTUDIO,
        "render",
        str(project_file),
        "--server",
        server,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = ""
    while "rendering" not in seen:
        chunk = await asyncio.wait_for(process.stderr.read(256), 30)
        assert chunk, seen
        seen += chunk.decode()
    process.send_signal(signal.SIGINT)
    rest = await asyncio.wait_for(process.stderr.read(), 30)
    assert await process.wait() == 130, rest.decode()
    assert "JOB_STATUS_CANCELLED" in rest.decode()
    assert not out.exists() and not list(out.parent.iterdir())
    async with grpc.aio.insecure_channel(server) as channel:
        jobs = await compiler_pb2_grpc.CompilerServiceStub(channel).ListRenders(
            compiler_pb2.ListRendersRequest()
        )
    assert [j.status for j in jobs.jobs] == [compiler_pb2.JOB_STATUS_CANCELLED]


async def test_sigterm_during_a_render_leaves_no_output_behind(
    server_process: tuple[str, asyncio.subprocess.Process], tmp_path: Path
) -> None:
    address, process = server_process
    out = tmp_path / "out" / "long.mp4"
    # Long enough to be still running when SIGTERM arrives (a flat colour encodes at hundreds of fps:
    # 30 s could finish during the server's grace period and rightly be kept); cancelled, it costs
    # only the frames made before the signal.
    edit = {
        "settings": {"width": 320, "height": 240, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": "c",
                        "source": {"color": {"color": "#446688"}},
                        "start": 0,
                        "duration": 300,
                        "effects": [{"type": "blur", "params": {"radius": 20}}],
                    }
                ],
            }
        ],
        "output": {"path": str(out), "preset": "medium"},
    }
    async with grpc.aio.insecure_channel(address) as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        submitted = await stub.SubmitRender(compiler_pb2.SubmitRenderRequest(project=project(edit)))
        async for reply in stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=submitted.job.id)):
            if reply.job.progress.done > 0:
                break
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert not out.exists() and not list(out.parent.iterdir())
