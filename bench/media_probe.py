"""Media service: Probe latency and files/s against `ffprobe` run as a subprocess (the way a
backend without in-process FFmpeg does it), both measured in this run on the same files.

Run: `.venv/bin/python bench/media_probe.py` (or `make bench`). Target: >= 15x ffprobe.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _media_fixtures import hd_video, running_media
from svckit.testing import make_image, make_video, make_wav
from tstudio.media.v1 import media_pb2
from tstudio_media.adapters.pyav_probe import PyAVProber

COPIES = 10  # of each kind, at distinct paths (so the service's cache never answers)


def make_files(folder: Path) -> list[Path]:
    kinds = [
        hd_video(folder / "hd.mp4"),
        make_video(folder / "sd.mp4", seconds=3.0, width=640, height=360),
        make_wav(folder / "tone.wav", seconds=3.0),
        make_image(folder / "still.png", width=1280, height=720),
    ]
    files = []
    for kind in kinds:
        for i in range(COPIES):
            copy = folder / f"{kind.stem}-{i}{kind.suffix}"
            shutil.copy(kind, copy)
            files.append(copy)
    return files


def interleaved(files: list[Path], *fns: Callable[[Path], object]) -> list[float]:
    """Median seconds per file of each fn, alternating them file by file so that load from other
    processes on a shared machine falls on baseline and candidate alike."""
    times: list[list[float]] = [[] for _ in fns]
    for path in files:
        for index, fn in enumerate(fns):
            started = time.perf_counter()
            fn(path)
            times[index].append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def ffprobe(path: Path) -> None:
    subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
    )


async def over_grpc(files: list[Path], data_dir: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    async with running_media(data_dir) as stub:
        await stub.Probe(media_pb2.ProbeRequest(path=str(files[-1])))  # warm up the channel
        for label in ("grpc_uncached_ms", "grpc_cached_ms"):  # the second pass finds the cache
            times = []
            for path in files:
                started = time.perf_counter()
                await stub.Probe(media_pb2.ProbeRequest(path=str(path)))
                times.append(time.perf_counter() - started)
            out[label] = statistics.median(times) * 1000
        started = time.perf_counter()
        async for _ in stub.ProbeBatch(media_pb2.ProbeBatchRequest(paths=[str(p) for p in files])):
            pass
        out["batch_files_per_s"] = len(files) / (time.perf_counter() - started)
    return out


def main() -> None:
    logging.disable(logging.INFO)
    if shutil.which("ffprobe") is None:
        raise SystemExit(
            "ffprobe not found (Debian: apt-get install ffmpeg); it is this benchmark's baseline"
        )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = make_files(folder)
        prober = PyAVProber()
        interleaved(files[::COPIES], ffprobe, prober.probe)  # warm up libraries and the page cache
        base, pyav = (t * 1000 for t in interleaved(files, ffprobe, prober.probe))
        hd_ffprobe, hd_only = (t * 1000 for t in interleaved(files[:COPIES], ffprobe, prober.probe))
        grpc_figures = asyncio.run(over_grpc(files, folder / "data"))
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} (figures are medians, interleaved with the baseline)"
    )
    print(f"files: {len(files)} ({COPIES} each of 1080p H.264+AAC, 360p H.264+AAC, WAV, PNG)")
    print(f"baseline ffprobe subprocess      {base:8.2f} ms/file   ({1000 / base:7.1f} files/s)")
    print(f"PyAV adapter in-process          {pyav:8.2f} ms/file   ratio {base / pyav:6.1f}x")
    print(
        f"gRPC Probe, uncached             {grpc_figures['grpc_uncached_ms']:8.2f} ms/file   ratio {base / grpc_figures['grpc_uncached_ms']:6.1f}x"
    )
    print(
        f"gRPC Probe, cached               {grpc_figures['grpc_cached_ms']:8.2f} ms/file   ratio {base / grpc_figures['grpc_cached_ms']:6.1f}x"
    )
    batch = grpc_figures["batch_files_per_s"]
    print(f"gRPC ProbeBatch (cached)         {batch:8.1f} files/s   ratio {batch / (1000 / base):6.1f}x")
    print(
        f"1080p only: ffprobe {hd_ffprobe:.2f} ms, PyAV {hd_only:.2f} ms, ratio {hd_ffprobe / hd_only:.1f}x"
    )
    print("target: >= 15x ffprobe")


if __name__ == "__main__":
    main()
