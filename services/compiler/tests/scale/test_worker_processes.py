"""Workers as separate OS processes; one is SIGKILLed while it holds a segment."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
from svckit.bus import NatsBus
from svckit.testing import NatsServer
from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue, QueueConfig
from tstudio_compiler.scale.adapters.pattern_renderer import pattern_color
from tstudio_compiler.scale.domain.job_state import JobStatus
from tstudio_compiler.scale.domain.render_ports import SegmentSpec

ACK_WAIT = 2.0


def start_worker(url: str, work_dir: Path, worker_id: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tstudio_compiler.scale.pattern_worker",
            url,
            str(work_dir),
            worker_id,
            str(ACK_WAIT),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def partial_segments(job_dir: Path) -> list[tuple[int, int]]:
    """(segment index, pid) of every segment being written right now (`.000003.<pid>.partial.mp4`)."""
    found = []
    for path in job_dir.glob(".*.partial.mp4") if job_dir.exists() else []:
        _, index, pid, _ = path.name.split(".", 3)
        found.append((int(index), int(pid)))
    return found


async def test_sigkilled_worker_has_its_segment_redelivered_and_the_job_completes(tmp_path: Path) -> None:
    work_dir = tmp_path / "shared"
    segments = [
        SegmentSpec(i, f"{i:064x}", {"frames": 12, "color": [i * 50, 80, 20], "frame_delay": 0.04})
        for i in range(6)
    ]
    async with NatsServer() as server:
        bus = await NatsBus.connect(server.url)
        try:
            queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=str(work_dir), ack_wait=ACK_WAIT))
            await queue.start()
            processes = {f"p{i}": start_worker(server.url, work_dir, f"p{i}") for i in range(3)}
            by_pid = {p.pid: name for name, p in processes.items()}
            try:
                state = await queue.submit(segments, str(tmp_path / "out.mp4"))
                victim: tuple[int, str] | None = None
                for _ in range(400):
                    held = partial_segments(work_dir / state.job_id)
                    if held:
                        index, pid = held[0]
                        os.kill(pid, signal.SIGKILL)
                        victim = (index, by_pid[pid])
                        break
                    await asyncio.sleep(0.01)
                assert victim is not None, "no worker was ever seen mid-segment"
                final = await queue.wait_finished(state.job_id, timeout=120)
            finally:
                for process in processes.values():
                    if process.poll() is None:
                        process.terminate()
                for process in processes.values():
                    try:
                        process.wait(15)
                    except subprocess.TimeoutExpired:
                        process.kill()  # never leave a worker behind, even when the test fails
                        process.wait()
        finally:
            await bus.nc.close()
    assert final.status is JobStatus.SUCCEEDED, final.error
    killed_index, killed_worker = victim
    assert final.done[killed_index].worker != killed_worker, "the killed worker cannot have finished it"
    assert len(final.segments_by_worker()) >= 2
    assert processes[killed_worker].returncode == -signal.SIGKILL
    with av.open(str(tmp_path / "out.mp4")) as container:
        frames = [frame.to_ndarray(format="rgb24")[60, 80] for frame in container.decode(video=0)]
    expected = [pattern_color(s.description["color"], n) for s in segments for n in range(12)]
    assert len(frames) == len(expected) == 72
    assert all(np.abs(f.astype(int) - np.array(e)).max() <= 6 for f, e in zip(frames, expected, strict=True))
