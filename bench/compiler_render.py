"""Compiler render engine against the ffmpeg CLI and MoviePy, measured in the same run.

The issue's edit: three 10 s 1280x720 30 fps clips (moving test pattern + tone) joined by 1 s
crossfades, libx264 veryfast CRF 23 + AAC, 28 s out. Printed:

- wall time of our engine (a Render call on an in-process compiler over gRPC) against
  (a) the ffmpeg CLI running the same edit as one hand-written xfade/acrossfade graph,
  (b) the ffmpeg CLI running the command our ExplainRender prints for the plan,
  (c) MoviePy doing the same edit, when a Python with MoviePy is available (MoviePy 2.2 pins
      pillow<12, which the workspace cannot take; point TSTUDIO_BENCH_MOVIEPY_PYTHON at a
      separate environment's python to include it);
- peak memory (max RSS) of each;
- RenderFrame latency (p50/p90) at 720p against one `ffmpeg -ss T -frames:v 1` still;
- colour management: a 1080p portrait full-range phone clip (yuvj420p BT.709, display matrix 90)
  into a 1080p landscape timeline against the ffmpeg CLI doing the same edit by hand (transpose +
  scale with the range and matrix named + pad, tagged BT.709).

    .venv/bin/python bench/compiler_render.py [--seconds 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import grpc
import imageio_ffmpeg
from google.protobuf import json_format
from svckit.bus import InProcessBus
from svckit.executor import BlockingExecutor
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2
from tstudio_compiler.composition import build_compiler
from tstudio_compiler.server import create_server
from tstudio_compiler.settings import CompilerSettings

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
W, H, FPS = 1280, 720, 30


# Children are started from a small launcher: a child forked from this (large) process would
# report this process's size as its own peak.
_LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "wall = time.perf_counter() - t\n"
    "sys.stderr.buffer.write(r.stderr[-3000:] if r.returncode else b'')\n"
    "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(r.returncode)\n"
)


def run_child(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of a child process, which must succeed."""
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, "timeout", "600", *args], capture_output=True, check=False
    )
    if result.returncode:
        raise RuntimeError(f"{args[0]} failed:\n{result.stderr.decode()[-2000:]}")
    wall, rss = result.stdout.split()
    return float(wall), int(rss) / 1024


def make_clips(folder: Path, seconds: float) -> list[Path]:
    clips = []
    for index, (hue, tone) in enumerate(((0, 330), (120, 440), (240, 550))):
        path = folder / f"clip{index}.mp4"
        run_child(
            [
                FFMPEG,
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={W}x{H}:rate={FPS}:duration={seconds}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={tone}:sample_rate=48000:duration={seconds}",
                "-vf",
                f"hue=h={hue}",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-ac",
                "2",
                "-shortest",
                str(path),
            ]
        )
        clips.append(path)
    return clips


def edit(clips: list[Path], seconds: float, output: Path) -> dict[str, Any]:
    step = seconds - 1
    return {
        "name": "bench",
        "settings": {"width": W, "height": H, "fps": FPS, "sampleRate": 48000},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": f"c{i}",
                        "source": {"path": str(p)},
                        "start": i * step,
                        **({"transition": {"type": "crossfade", "duration": 1}} if i else {}),
                    }
                    for i, p in enumerate(clips)
                ],
            }
        ],
        "output": {
            "path": str(output),
            "videoCodec": "h264",
            "audioCodec": "aac",
            "preset": "veryfast",
            "crf": 23,
        },
    }


def ffmpeg_by_hand(clips: list[Path], seconds: float, output: Path) -> list[str]:
    first, second = seconds - 1, 2 * seconds - 2
    graph = (
        f"[0:v][1:v]xfade=transition=fade:duration=1:offset={first}[x];"
        f"[x][2:v]xfade=transition=fade:duration=1:offset={second},format=yuv420p[v];"
        "[0:a][1:a]acrossfade=d=1[a1];[a1][2:a]acrossfade=d=1[a]"
    )
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    return [
        FFMPEG,
        "-y",
        *inputs,
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-c:a",
        "aac",
        "-b:a",
        "192k",
        str(output),
    ]


PHONE_W, PHONE_H = 1920, 1080


def make_phone_clip(folder: Path, seconds: float) -> Path:
    """A phone's portrait clip: stored 1920x1080 full range (yuvj420p, BT.709 tags), tone, and a
    display matrix that shows it 1080x1920."""
    stored = folder / "phone_stored.mp4"
    run_child(
        [
            FFMPEG, "-y", "-f", "lavfi", "-i", f"testsrc2=size={PHONE_W}x{PHONE_H}:rate={FPS}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-vf", "scale=out_range=pc:out_color_matrix=bt709,format=yuvj420p", "-c:v", "libx264",
            "-preset", "veryfast", "-crf", "23", "-color_range", "pc", "-colorspace", "bt709",
            "-color_primaries", "bt709", "-color_trc", "bt709", "-c:a", "aac", "-ac", "2", "-shortest", str(stored),
        ]
    )  # fmt: skip
    path = folder / "phone.mp4"
    run_child([FFMPEG, "-y", "-display_rotation", "90", "-i", str(stored), "-c", "copy", str(path)])
    return path


def phone_edit(clip: Path, output: Path) -> dict[str, Any]:
    return {
        "name": "phone",
        "settings": {"width": PHONE_W, "height": PHONE_H, "fps": FPS, "sampleRate": 48000},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [{"id": "p", "source": {"path": str(clip)}, "start": 0}]}
        ],
        "output": {"path": str(output), "videoCodec": "h264", "audioCodec": "aac", "preset": "veryfast", "crf": 23},
    }  # fmt: skip


def phone_by_hand(clip: Path, output: Path) -> list[str]:
    """The CLI doing the same edit with colour management: turn upright (display_rotation 90 is
    counter-clockwise), fit 1080x1920 into 1920x1080 (606x1080, even), full -> limited range
    BT.709 by name, pad, tag."""
    vf = (
        "transpose=cclock,scale=606:1080:in_range=pc:out_range=tv:in_color_matrix=bt709:out_color_matrix=bt709,"
        f"pad={PHONE_W}:{PHONE_H}:(ow-iw)/2:(oh-ih)/2:black,format=yuv420p,setsar=1"
    )
    return [
        FFMPEG, "-y", "-noautorotate", "-i", str(clip), "-vf", vf, "-c:v", "libx264", "-preset", "veryfast",
        "-crf", "23", "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709",
        "-color_trc", "bt709", "-c:a", "aac", "-b:a", "192k", str(output),
    ]  # fmt: skip


MOVIEPY_SCRIPT = textwrap.dedent(
    """
    import sys
    from moviepy import VideoFileClip, concatenate_videoclips, vfx, afx
    paths, out = sys.argv[1:4], sys.argv[4]
    clips = [VideoFileClip(p) for p in paths]
    clips = [c if i == 0 else c.with_effects([vfx.CrossFadeIn(1), afx.AudioFadeIn(1)]) for i, c in enumerate(clips)]
    final = concatenate_videoclips(clips, method="compose", padding=-1)
    final.write_videofile(out, codec="libx264", preset="veryfast", ffmpeg_params=["-crf", "23"],
                          audio_codec="aac", fps=30, threads=2, logger=None)
    """
)


def moviepy_python() -> str | None:
    configured = os.environ.get("TSTUDIO_BENCH_MOVIEPY_PYTHON")
    if configured:
        return configured
    try:
        import moviepy  # noqa: F401
    except ImportError:
        return None
    return sys.executable


async def ours(
    project: project_pb2.Project, frame_times: list[float], data: Path, cache_bytes: int = -1
) -> dict[str, Any]:
    """One Render on a fresh compiler; `cache_bytes` -1 is the default (segment cache on, empty),
    0 renders in one pass."""
    settings = CompilerSettings(port=0, data_dir=data, segment_cache_bytes=cache_bytes)
    executor = BlockingExecutor(4, "bench")
    compiler = build_compiler(settings, InProcessBus(), executor)
    await asyncio.to_thread(compiler.encoders.encoders)  # open the encoders before timing
    handle = create_server(settings, compiler)
    await handle.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}") as channel:
            stub = compiler_pb2_grpc.CompilerServiceStub(channel)
            started = time.perf_counter()
            job = None
            async for reply in stub.Render(compiler_pb2.RenderRequest(project=project)):
                job = reply.job
            wall = time.perf_counter() - started
            assert job is not None and job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            latencies = []
            for t in frame_times:
                began = time.perf_counter()
                await stub.RenderFrame(compiler_pb2.RenderFrameRequest(project=project, time=t))
                latencies.append(time.perf_counter() - began)
            explained = await stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=project))
    finally:
        await handle.stop(0)
        executor.shutdown()
    return {
        "wall": wall,
        "peak": peak,
        "frames": job.result.frames,
        "latencies": latencies,
        "explain": list(explained.ffmpeg_args),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--keep", type=Path, help="keep the media and outputs here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-compiler-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"making 3 x {args.seconds:g} s {W}x{H} {FPS} fps clips ...", flush=True)
        clips = make_clips(folder, args.seconds)
        length = 3 * args.seconds - 2
        project = json_format.Parse(
            json.dumps(edit(clips, args.seconds, folder / "ours.mp4")), project_pb2.Project()
        )
        # Scrubbing: the playhead dragged forward in 0.2 s steps through each clip, then jumps.
        scrub = [start + 0.2 * k for start in (1.0, 12.0, 22.0) for k in range(10)]
        jumps = [length * i / 11 for i in (7, 2, 9, 4, 1, 8, 3, 10, 5, 6)]
        frame_times = scrub + jumps
        result = asyncio.run(ours(project, frame_times, folder / "data"))
        # The segment cache is on by default: its first render (empty cache, segments + join)
        # against the one-pass render it replaced.
        one_pass = asyncio.run(ours(project, [], folder / "data-one-pass", cache_bytes=0))
        by_hand = run_child(ffmpeg_by_hand(clips, args.seconds, folder / "ffmpeg.mp4"))
        explain_args = [FFMPEG, *result["explain"][1:]]
        explain_args[-1] = str(folder / "explained.mp4")
        explained = run_child(explain_args)
        still = [
            run_child(
                [
                    FFMPEG,
                    "-y",
                    "-ss",
                    f"{t:.3f}",
                    "-i",
                    str(clips[1]),
                    "-frames:v",
                    "1",
                    str(folder / "still.jpg"),
                ]
            )[0]
            for t in (1.0, 4.0, 7.0)
        ]
        print("rendering the portrait phone clip (colour management) ...", flush=True)
        phone = make_phone_clip(folder, args.seconds)
        phone_project = json_format.Parse(
            json.dumps(phone_edit(phone, folder / "phone_ours.mp4")), project_pb2.Project()
        )
        phone_ours = asyncio.run(ours(phone_project, [], folder / "phone_data"))
        phone_cli = run_child(phone_by_hand(phone, folder / "phone_ffmpeg.mp4"))
        python = moviepy_python()
        moviepy = None
        if python:
            script = folder / "moviepy_edit.py"
            script.write_text(MOVIEPY_SCRIPT)
            moviepy = run_child([python, str(script), *map(str, clips), str(folder / "moviepy.mp4")])

        wall, peak = result["wall"], result["peak"]
        scrub_lat = sorted(result["latencies"][: len(scrub)])
        jump_lat = sorted(result["latencies"][len(scrub) :])
        p50, p90 = statistics.median(scrub_lat) * 1000, scrub_lat[int(len(scrub_lat) * 0.9) - 1] * 1000
        jump_p50 = statistics.median(jump_lat) * 1000
        print(f"\noutput: {length:g} s, {result['frames']} frames, libx264 veryfast crf 23 + aac")
        print(f"{'':34} {'wall s':>8} {'x realtime':>10} {'peak MiB':>9} {'ours is':>12}")
        rows = [
            ("ours (PyAV, gRPC Render)", wall, peak),
            ("ffmpeg CLI, hand-written graph", *by_hand),
            ("ffmpeg CLI, ExplainRender command", *explained),
        ]
        if moviepy:
            rows.append(("MoviePy 2 (same edit)", *moviepy))
        for name, seconds, rss in rows:
            ratio = "" if name.startswith("ours") else f"{seconds / wall:.2f}x faster"
            print(f"{name:34} {seconds:8.2f} {length / seconds:10.2f} {rss:9.0f} {ratio:>12}")
        print(
            f"first render with the default segment cache {wall:.2f} s vs one pass (cache off) "
            f"{one_pass['wall']:.2f} s: {one_pass['wall'] / wall:.2f}x"
        )
        if not moviepy:
            print("MoviePy: not measured (set TSTUDIO_BENCH_MOVIEPY_PYTHON to a python with moviepy 2.x)")
        print(f"peak memory ratio ours/ffmpeg CLI: {peak / by_hand[1]:.2f} (ours includes the gRPC server)")
        print(
            f"1080p portrait full-range phone clip into 1080p landscape ({args.seconds:g} s): ours "
            f"{phone_ours['wall']:.2f} s, ffmpeg CLI transpose+scale(range, matrix)+pad {phone_cli[0]:.2f} s "
            f"-> ours is {phone_cli[0] / phone_ours['wall']:.2f}x the CLI's speed"
        )
        ffmpeg_still = statistics.median(still) * 1000
        print(
            f"RenderFrame at 720p, scrubbing in 0.2 s steps: p50 {p50:.1f} ms, p90 {p90:.1f} ms; "
            f"random jumps: p50 {jump_p50:.1f} ms (the sources have 250-frame GOPs)"
        )
        print(
            f"ffmpeg CLI, one still by seeking (process start included): {ffmpeg_still:.1f} ms -> "
            f"scrub p50 {ffmpeg_still / p50:.1f}x, jump p50 {ffmpeg_still / jump_p50:.1f}x faster"
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
