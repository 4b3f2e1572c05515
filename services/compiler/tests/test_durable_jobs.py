"""A killed compiler remembers its jobs (issue 15, item 12): a real `python -m tstudio_compiler`
SIGKILLed mid-render, restarted on the same COMPILER_DATA_DIR, answers for the job as FAILED
(interrupted), still knows the jobs that finished, and has swept the render's hidden temp file."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from svckit.testing import free_port
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc

from .conftest import Media, project
from .test_errors import one_clip
from .test_jobs import long_edit


@asynccontextmanager
async def compiler_process(
    data_dir: Path,
) -> AsyncIterator[tuple[compiler_pb2_grpc.CompilerServiceStub, asyncio.subprocess.Process]]:
    port = free_port()
    env = {
        **os.environ,
        "COMPILER_PORT": str(port),
        "COMPILER_LOG_FORMAT": "text",
        "COMPILER_DATA_DIR": str(data_dir),
        "COMPILER_MAX_WORKERS": "2",
        # One pass: the output's hidden temp file exists from the first frame (the killed write).
        "COMPILER_SEGMENT_CACHE_BYTES": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tstudio_compiler",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for _ in range(300):
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the compiler did not start")
            yield compiler_pb2_grpc.CompilerServiceStub(channel), process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_a_killed_compiler_reports_its_job_interrupted_after_restart(
    media: Media, tmp_path: Path
) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    out.mkdir()
    async with compiler_process(data) as (stub, process):
        done = await stub.SubmitRender(
            compiler_pb2.SubmitRenderRequest(
                project=project(one_clip(str(media.red_green), out / "short.mp4"))
            )
        )
        async for reply in stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=done.job.id)):
            finished = reply.job
        assert finished.status == compiler_pb2.JOB_STATUS_SUCCEEDED, finished.error
        long = await stub.SubmitRender(
            compiler_pb2.SubmitRenderRequest(project=project(long_edit(media, out / "long.mp4", seconds=60)))
        )
        async for reply in stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=long.job.id)):
            if reply.job.status == compiler_pb2.JOB_STATUS_RUNNING and reply.job.progress.done > 0:
                break
        assert list(out.glob(".long.mp4.*.part")), "the render writes through a hidden temp file"
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert list(out.glob(".long.mp4.*.part")), "SIGKILL leaves the temp file behind"

    async with compiler_process(data) as (stub, _):
        got = await stub.GetRender(compiler_pb2.GetRenderRequest(job_id=long.job.id))
        assert got.job.status == compiler_pb2.JOB_STATUS_FAILED
        assert "interrupted" in got.job.error
        assert got.job.finished_at.seconds > 0
        kept = await stub.GetRender(compiler_pb2.GetRenderRequest(job_id=done.job.id))
        assert kept.job.status == compiler_pb2.JOB_STATUS_SUCCEEDED
        assert kept.job.result.output_path == str(out / "short.mp4")
        listed = await stub.ListRenders(compiler_pb2.ListRendersRequest())
        assert {j.id for j in listed.jobs} == {done.job.id, long.job.id}
        assert not list(out.glob(".*.part")), "the start-up sweep removed the temp file"
        assert not (out / "long.mp4").exists()
        assert (out / "short.mp4").exists()
