"""COMPILER_QUEUE=jetstream end to end: three compiler processes on one nats-server render a job
together through the public RPCs, and one of them is SIGKILLed while it holds a segment."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import grpc
from svckit.healthcheck import wait_serving
from svckit.testing import NatsServer, free_port, metric_sample
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio_cli.demo_media import write_demo

from ..conftest import decode_rgb, project, psnr, start_compiler
from ..test_render import render

# Long enough that a busy machine does not redeliver a segment a live replica is still encoding.
ACK_WAIT = 6.0


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    address: str
    metrics_port: int

    def metric(self, name: str) -> float:
        return metric_sample(self.metrics_port, name)


@contextlib.contextmanager
def replicas(nats_url: str, root: Path, count: int) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        for index in range(count):
            port, metrics_port = free_port(), free_port()
            env = {
                "COMPILER_METRICS_PORT": str(metrics_port),
                **os.environ,
                "COMPILER_PORT": str(port),
                "COMPILER_NATS_URL": nats_url,
                "COMPILER_QUEUE": "jetstream",
                "COMPILER_SHARED_DIR": str(root / "shared"),
                "COMPILER_DATA_DIR": str(root / f"data-{index}"),
                "COMPILER_SEGMENT_CACHE_BYTES": str(1 << 30),
                "COMPILER_QUEUE_ACK_WAIT_SECONDS": str(ACK_WAIT),
                "COMPILER_GRACE_SECONDS": "1",
            }
            process = subprocess.Popen([sys.executable, "-m", "tstudio_compiler"], env=env)
            started.append(Replica(process, f"127.0.0.1:{port}", metrics_port))
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.terminate()
        for replica in started:
            try:
                replica.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                replica.process.kill()


def demo(tmp_path: Path, output: Path) -> dict[str, Any]:
    data = json.loads(write_demo(tmp_path / "demo", width=160, height=90).read_text())
    data["settings"].update(width=480, height=270)
    data["output"].update(path=str(output))
    return data


async def finished(stub: compiler_pb2_grpc.CompilerServiceStub, job_id: str) -> compiler_pb2.RenderJob:
    last = None
    async for reply in stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=job_id), timeout=180):
        last = reply.job
    assert last is not None
    return last


def assert_same_picture(path: Path, reference: list[Any]) -> None:
    frames = decode_rgb(path)
    assert len(frames) == len(reference)
    assert min(psnr(a, b) for a, b in zip(frames, reference, strict=True)) >= 40
    with av.open(str(path)) as container:
        assert container.streams.audio


def writers(job_dir: Path) -> set[int]:
    """Pids writing a segment of the job right now (`.000003.mp4.pid<pid>.<hex>.part`, svckit's
    AtomicOutput)."""
    found = set()
    for part in job_dir.glob(".*.part") if job_dir.exists() else ():
        with contextlib.suppress(ValueError, IndexError):
            found.add(int(part.name.split(".")[3].removeprefix("pid")))
    return found


async def test_replicas_share_a_job_survive_a_sigkill_and_match_the_single_process_render(
    tmp_path: Path,
) -> None:
    # The single-process reference: the local queue with the segment cache renders the same plan.
    async for local in start_compiler(tmp_path / "local", segment_cache_bytes=1 << 30):
        await render(local, project(demo(tmp_path, tmp_path / "local.mp4"), tmp_path / "demo"))
    reference = decode_rgb(tmp_path / "local.mp4")

    with NatsServer() as nats, replicas(nats.url, tmp_path, 3) as group:
        for replica in group:
            await wait_serving(replica.address, timeout=60)
        channels = [grpc.aio.insecure_channel(r.address) for r in group]
        stubs = [compiler_pb2_grpc.CompilerServiceStub(c) for c in channels]
        try:
            # One job, submitted twice with one idempotency key through two replicas, watched on a third.
            request = compiler_pb2.SubmitRenderRequest(
                project=project(demo(tmp_path, tmp_path / "shared" / "out.mp4"), tmp_path / "demo"),
                client_key="edit-42",
            )
            first = (await stubs[0].SubmitRender(request)).job
            again = (await stubs[1].SubmitRender(request)).job
            assert again.id == first.id
            done = await finished(stubs[2], first.id)
            assert done.status == compiler_pb2.JOB_STATUS_SUCCEEDED, done.error
            assert done.result.segments_total == 7 and done.progress.done == len(reference)
            assert_same_picture(Path(done.result.output_path), reference)
            listed = await stubs[1].ListRenders(compiler_pb2.ListRendersRequest())
            assert first.id in {job.id for job in listed.jobs}
            rendered = [
                await asyncio.to_thread(
                    r.metric, 'tstudio_compiler_worker_segments_total{outcome="rendered"}'
                )
                for r in group
            ]
            assert sum(rendered) == 7 and all(count > 0 for count in rendered), rendered
            diagnostics = await stubs[0].GetDiagnostics(compiler_pb2.GetDiagnosticsRequest())
            items = {i.name: i.value for i in diagnostics.diagnostics.items}
            assert items["queue.kind"] == "jetstream" and items["queue.nats"] == "connected"
            assert items["queue.pending_tasks"] == "0"

            # Again from scratch; the replica writing a segment is killed mid-way.
            request.client_key, request.no_cache = "", True
            request.project.output.path = str(tmp_path / "shared" / "after-kill.mp4")
            job = (await stubs[0].SubmitRender(request)).job
            pids = {r.process.pid: index for index, r in enumerate(group)}
            victim = None
            for _ in range(3000):
                holding = writers(tmp_path / "shared" / "jobs" / job.id) & set(pids)
                if holding:
                    victim = pids[holding.pop()]
                    break
                await asyncio.sleep(0.01)
            assert victim is not None, "no replica was seen writing a segment"
            group[victim].process.send_signal(signal.SIGKILL)
            group[victim].process.wait()

            done = await finished(stubs[(victim + 1) % len(group)], job.id)
            assert done.status == compiler_pb2.JOB_STATUS_SUCCEEDED, done.error
            assert done.result.segments_reused == 0
            assert_same_picture(Path(done.result.output_path), reference)
            assert not list((tmp_path / "shared" / "jobs").glob(f"{job.id}/*"))

            # Cancelled through one replica while another renders it: nothing is left behind.
            live = [stubs[i] for i in range(len(group)) if i != victim]
            # The segments are small: a job may finish between "a replica writes" and the cancel
            # arriving. Such a try proves nothing about cancelling, so it is made again.
            for attempt in range(5):
                request.project.output.path = str(tmp_path / "shared" / f"cancelled-{attempt}.mp4")
                job = (await live[0].SubmitRender(request)).job
                job_dir = tmp_path / "shared" / "jobs" / job.id
                for _ in range(3000):
                    if writers(job_dir):
                        break
                    await asyncio.sleep(0.01)
                cancel = compiler_pb2.CancelRenderRequest(job_id=job.id)
                status = (await live[1].CancelRender(cancel)).job.status
                if status != compiler_pb2.JOB_STATUS_SUCCEEDED:
                    break
            assert status == compiler_pb2.JOB_STATUS_CANCELLED
            assert (await finished(live[0], job.id)).status == compiler_pb2.JOB_STATUS_CANCELLED
            await asyncio.sleep(2 * ACK_WAIT)
            assert not job_dir.exists() and not Path(request.project.output.path).exists()
        finally:
            for channel in channels:
                await channel.close()
