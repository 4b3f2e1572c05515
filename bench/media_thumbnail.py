"""Media service: thumbnail latency on a 1080p H.264 file with a 2 s GOP, at a keyframe and at the
worst place (the frame just before the next keyframe), against `ffmpeg -ss T -i F -frames:v 1`
(an accurate seek, like our accurate mode) measured in the same run.

Run: `.venv/bin/python bench/media_thumbnail.py` (or `make bench`).
Targets: fast mode <= 30 ms anywhere; accurate mode >= 1.5x faster than the CLI.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _media_fixtures import HD_GOP_FRAMES, hd_video, running_media
from tstudio.media.v1 import media_pb2
from tstudio_media.adapters.pyav_pictures import PyAVPictures
from tstudio_media.domain.picture_request import PictureFormat, PictureSpec, SeekMode

RUNS = 9
FPS = 30
SPEC = PictureSpec(width=320, format=PictureFormat.JPEG, quality=85)
POSITIONS = {
    "keyframe (t=2.000)": 2.0,
    "worst (t=3.967, 59 frames after the keyframe)": (2 * HD_GOP_FRAMES - 1) / FPS,
}


def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg  # the dev dependency's bundled binary

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (the CLI runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def median_seconds(fn: Callable[[], object], *others: Callable[[], object]) -> list[tuple[float, float]]:
    """(wall, CPU) medians of RUNS calls of each function, alternating them so that load from
    other processes hits all alike. CPU time is the steadier figure on a shared machine."""
    calls = (fn, *others)
    walls: list[list[float]] = [[] for _ in calls]
    cpus: list[list[float]] = [[] for _ in calls]
    for _ in range(RUNS):
        for index, call in enumerate(calls):
            cpu, started = _cpu_seconds(), time.perf_counter()
            call()
            walls[index].append(time.perf_counter() - started)
            cpus[index].append(_cpu_seconds() - cpu)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)]


async def over_grpc(video: Path, data_dir: Path) -> dict[str, float]:
    """Median ms of Thumbnail RPCs per (position, mode), each request distinct so none is cached."""
    out: dict[str, float] = {}
    async with running_media(data_dir) as stub:
        quality = 50
        for label, seconds in POSITIONS.items():
            for mode in (media_pb2.SEEK_MODE_FAST, media_pb2.SEEK_MODE_ACCURATE):
                times = []
                for _ in range(RUNS):
                    quality += 1  # a new cache key each time
                    request = media_pb2.ThumbnailRequest(
                        path=str(video), time_seconds=seconds, width=320, quality=quality, mode=mode
                    )
                    started = time.perf_counter()
                    reply = await stub.Thumbnail(request)
                    times.append(time.perf_counter() - started)
                    assert not reply.cached
                out[f"{label}/{mode}"] = statistics.median(times) * 1000
    return out


def main() -> None:
    ffmpeg = ffmpeg_binary()
    with tempfile.TemporaryDirectory() as tmp:
        video = hd_video(Path(tmp) / "hd.mp4")
        out = Path(tmp) / "out.jpg"
        pictures = PyAVPictures(max_pixels=64 * 1024 * 1024)
        print(
            f"1080p30 H.264, keyframe every {HD_GOP_FRAMES} frames; thumbnails 320 px wide JPEG; baseline {ffmpeg}"
        )
        for label, seconds in POSITIONS.items():

            def cli(t: float = seconds) -> None:
                subprocess.run(
                    [ffmpeg, "-v", "error", "-y", "-ss", f"{t:.4f}", "-i", str(video), "-frames:v", "1",
                     "-vf", "scale=320:-2", str(out)],
                    check=True,
                )  # fmt: skip

            def fast(t: float = seconds) -> None:
                pictures.thumbnail(video, t, SPEC, SeekMode.FAST)

            def accurate(t: float = seconds) -> None:
                pictures.thumbnail(video, t, SPEC, SeekMode.ACCURATE)

            fast()  # warm up
            (base, base_cpu), (fast_s, fast_cpu), (acc_s, acc_cpu) = median_seconds(cli, fast, accurate)
            print(f"{label}                 wall                      CPU")
            print(f"  baseline ffmpeg CLI  {base * 1000:8.1f} ms              {base_cpu * 1000:8.1f} ms")
            print(
                f"  fast mode            {fast_s * 1000:8.1f} ms  ratio {base / fast_s:5.1f}x"
                f"  {fast_cpu * 1000:8.1f} ms  ratio {base_cpu / fast_cpu:5.1f}x"
            )
            print(
                f"  accurate mode        {acc_s * 1000:8.1f} ms  ratio {base / acc_s:5.1f}x"
                f"  {acc_cpu * 1000:8.1f} ms  ratio {base_cpu / acc_cpu:5.1f}x"
            )
        grpc_ms = asyncio.run(over_grpc(video, Path(tmp) / "data"))
    print("through gRPC (uncached, same machine):")
    for label in POSITIONS:
        fast_ms = grpc_ms[f"{label}/{media_pb2.SEEK_MODE_FAST}"]
        accurate_ms = grpc_ms[f"{label}/{media_pb2.SEEK_MODE_ACCURATE}"]
        print(f"  {label}: fast {fast_ms:.1f} ms, accurate {accurate_ms:.1f} ms")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("targets: fast <= 30 ms anywhere; accurate >= 1.5x the CLI")


if __name__ == "__main__":
    main()
