"""Compiler at scale on the real render engine, through gRPC (issue 4's benchmark).

A 60 s timeline of six 10 s clips (1280x720, 30 fps, FFmpeg's moving testsrc2 pattern with a tone;
a brightness effect on each), H.264 veryfast + AAC:

(a) incremental re-render, one compiler process with the segment cache: the first render (cold
    cache) against the re-render after one clip's effect changed, as a ratio (target >= 5x); and the
    preview profile against the final one.
(b) replicas on one JetStream queue (COMPILER_QUEUE=jetstream, no_cache renders): one replica
    against three on this machine, as wall time, segments/s overall and per replica (each replica's
    `tstudio_compiler_worker_segments_total`), and the queue's per-job overhead.
(c) a projection of wall time for N replicas on N machines from the measured parts:
    T(N) = serial + ceil(segments / N) * per_segment + queue_overhead.

    .venv/bin/python bench/compiler_replicas.py [--seconds 10] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from _media_fixtures import pattern_video
from google.protobuf import json_format
from svckit.healthcheck import wait_serving
from svckit.testing import NatsServer, free_port, metric_sample
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2

CLIPS = 6


def timeline(media: list[Path], seconds: float, width: int, height: int, output: Path) -> dict[str, Any]:
    clips = [
        {
            "id": f"c{i}",
            "source": {"path": str(path)},
            "start": i * seconds,
            "duration": seconds,
            "effects": [{"type": "brightness", "params": {"value": 0.02 * (i + 1)}}],
        }
        for i, path in enumerate(media)
    ]
    return {
        "name": "bench",
        "settings": {"width": width, "height": height, "fps": 30},
        "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": clips}],
        "output": {"path": str(output), "preset": "veryfast"},
    }


def as_project(data: dict[str, Any]) -> project_pb2.Project:
    return json_format.Parse(json.dumps(data), project_pb2.Project())


@contextlib.contextmanager
def compilers(count: int, root: Path, env: dict[str, str]) -> Iterator[list[tuple[str, int]]]:
    """`count` compiler processes; yields (address, metrics port) of each, stops them all."""
    started: list[tuple[subprocess.Popen[bytes], str, int]] = []
    try:
        for index in range(count):
            port, metrics = free_port(), free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "tstudio_compiler"],
                env={
                    **os.environ,
                    **env,
                    "COMPILER_PORT": str(port),
                    "COMPILER_METRICS_PORT": str(metrics),
                    "COMPILER_DATA_DIR": str(root / f"data-{index}"),
                    "COMPILER_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
                },
            )
            started.append((process, f"127.0.0.1:{port}", metrics))
        yield [(address, metrics) for _, address, metrics in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def render(address: str, data: dict[str, Any], **request: Any) -> tuple[float, compiler_pb2.RenderJob]:
    """Wall seconds of a Render call to its end, and the finished job."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        started = time.perf_counter()
        job = None
        async for reply in stub.Render(compiler_pb2.RenderRequest(project=as_project(data), **request)):
            job = reply.job
        assert job is not None and job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job
        return time.perf_counter() - started, job


async def incremental(root: Path, data: dict[str, Any], segment_seconds: float) -> dict[str, float]:
    env = {"COMPILER_SEGMENT_CACHE_BYTES": str(4 << 30), "COMPILER_MAX_SEGMENT_SECONDS": str(segment_seconds)}
    with compilers(1, root / "incremental", env) as [(address, _)]:
        await wait_serving(address, timeout=60)
        cold, first = await render(address, data)
        edited = copy.deepcopy(data)
        edited["tracks"][0]["clips"][2]["effects"][0]["params"]["value"] = -0.1
        rerender, changed = await render(address, edited)
        unchanged, same = await render(address, edited)
        louder = copy.deepcopy(edited)
        louder["tracks"][0]["clips"][0]["volume"] = 1.5
        sound_only, remixed = await render(address, louder)
        preview, _ = await render(address, data, profile=compiler_pb2.RENDER_PROFILE_PREVIEW, no_cache=True)
        final, _ = await render(address, data, no_cache=True)
    segments = first.result.segments_total
    print(f"(a) incremental re-render, one compiler, segment cache on ({segments} segments)")
    print(f"  first render (cold cache)                 {cold:7.2f} s")
    print(
        f"  one clip's effect changed                 {rerender:7.2f} s   "
        f"{changed.result.segments_reused}/{segments} segments and the sound reused   "
        f"{cold / rerender:5.1f}x faster (target >= 5x)"
    )
    print(
        f"  nothing changed                           {unchanged:7.2f} s   {same.result.segments_reused}/{segments} reused"
    )
    print(
        f"  a clip's volume changed (the serial part: {sound_only:5.2f} s   {remixed.result.segments_reused}/{segments} "
        "reused; fingerprints, the whole-timeline sound mix, the join)"
    )
    print(f"  final profile, from scratch               {final:7.2f} s")
    print(f"  preview profile (<= 360 p, fast preset)   {preview:7.2f} s   {final / preview:5.1f}x faster")
    return {"cold": cold, "serial": sound_only, "segments": float(segments)}


async def replicas(root: Path, data: dict[str, Any], count: int, segment_seconds: float) -> dict[str, Any]:
    with NatsServer() as nats:
        env = {
            "COMPILER_QUEUE": "jetstream",
            "COMPILER_NATS_URL": nats.url,
            "COMPILER_SHARED_DIR": str(root / f"shared-{count}"),
            "COMPILER_MAX_CONCURRENT_RENDERS": "1",
            "COMPILER_MAX_SEGMENT_SECONDS": str(segment_seconds),
        }
        with compilers(count, root / f"replicas-{count}", env) as group:
            for address, _ in group:
                await wait_serving(address, timeout=60)
            out = copy.deepcopy(data)
            out["output"]["path"] = str(root / f"shared-{count}" / "out.mp4")
            wall, job = await render(group[0][0], out, no_cache=True)
            done = [
                metric_sample(port, 'tstudio_compiler_worker_segments_total{outcome="rendered"}')
                for _, port in group
            ]
    return {"wall": wall, "segments": job.result.segments_total, "by_replica": done}


def projection(parts: dict[str, float], queue_overhead: float) -> None:
    segments = int(parts["segments"])
    serial = parts["serial"]
    per_segment = (parts["cold"] - serial) / segments
    print("(c) projection: N replicas on N machines (one render worker each)")
    print(
        f"  from the measured parts: serial {serial:.2f} s (fingerprints, sound mix, join), "
        f"{per_segment:.2f} s per segment, queue overhead {queue_overhead:.2f} s per job"
    )
    for n in sorted({1, 2, 3, 6, segments, 2 * segments}):
        wall = serial + math.ceil(segments / n) * per_segment + queue_overhead
        print(f"  N={n:<3} {wall:6.2f} s   {parts['cold'] / wall:4.1f}x one process")
    print(
        f"  The planner cuts at clip edges and every COMPILER_MAX_SEGMENT_SECONDS, so this timeline has "
        f"{segments} segments: beyond {segments} replicas nothing is gained, and the serial part (sound "
        "mix + join) bounds the speed-up (Amdahl)."
    )


async def main(args: argparse.Namespace) -> None:
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="tstudio-bench-") as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        # FFmpeg's moving testsrc2 pattern: flat colours would cost the encoder next to nothing.
        media = [
            pattern_video(root / "media" / f"clip{i}.mp4", args.seconds, width, height, tone=220.0 * (i + 1))
            for i in range(CLIPS)
        ]
        print(
            f"{CLIPS} clips of {args.seconds:g} s at {width}x{height} made in {time.perf_counter() - began:.1f} s"
        )
        data = timeline(media, args.seconds, width, height, root / "out.mp4")
        parts = await incremental(root, data, args.segment_seconds)
        one = await replicas(root, data, 1, args.segment_seconds)
        three = await replicas(root, data, 3, args.segment_seconds)
    print("(b) replicas on one JetStream queue, no_cache renders")
    for label, run in (("1 replica ", one), ("3 replicas", three)):
        rate = run["segments"] / run["wall"]
        per_replica = ", ".join(f"{n:.0f}" for n in run["by_replica"])
        print(
            f"  {label}  {run['wall']:6.2f} s   {rate:5.2f} segments/s   "
            f"{rate / len(run['by_replica']):5.2f} per replica   segments each: {per_replica}"
        )
    print(
        f"  3 replicas vs 1: {one['wall'] / three['wall']:.2f}x — this machine has {os.cpu_count()} cores, "
        "so three encoders share two and cannot beat one here. (On this VM the first encoder's x264 "
        "threads tend to take both cores while the others wait runnable, hence the uneven split; "
        "each replica still pulled its share of tasks.)"
    )
    difference = one["wall"] - parts["cold"]
    print(
        f"  queue overhead per job (1 replica on the queue minus the in-process render): {difference:+.2f} s"
        + (" (within this machine's noise)" if abs(difference) < 0.05 * parts["cold"] else "")
    )
    queue_overhead = max(difference, 0.0)
    projection(parts, queue_overhead)


if __name__ == "__main__":
    # A SIGTERM (timeout, Ctrl-C in a wrapper) still runs the `finally` blocks that stop the children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each of the six clips")
    parser.add_argument(
        "--segment-seconds", type=float, default=5.0, help="COMPILER_MAX_SEGMENT_SECONDS: the longest segment"
    )
    parser.add_argument("--size", default="1280x720", help="picture size of the sources and the output")
    asyncio.run(main(parser.parse_args()))
