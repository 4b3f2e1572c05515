"""Issue 19's compositing costs, each render in a fresh child process (wall time, peak RSS):

- reverse: a clip played backwards against the same clip played forwards (target: within 2x the
  forward render's time, under 500 MB peak);
- blend / mask: the clip over itself with `blendMode: screen`, and with a feathered ellipse mask,
  against the same overlay as a plain half-opacity overlay (target: within 1.5x).

The source is written by the ffmpeg CLI (testsrc2 + a tone, libx264 with a 2 s GOP, as cameras and
phones write them); output libx264 veryfast CRF 23 + AAC.

    .venv/bin/python bench/compiler_compositing.py [--seconds 20] [--height 1080] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def make_source(path: Path, seconds: float, width: int, height: int) -> None:
    subprocess.run(
        [
            FFMPEG, "-y", "-hide_banner", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip


def project(kind: str, source: Path, out: Path, seconds: float, width: int, height: int) -> dict[str, Any]:
    clip: dict[str, Any] = {"id": "c", "source": {"path": str(source)}, "start": 0, "sourceOut": seconds}
    tracks: list[dict[str, Any]] = [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [clip]}]
    if kind == "reverse":
        clip["reverse"] = True
    if kind in ("overlay", "blend", "mask"):
        top: dict[str, Any] = {"id": "top", "source": {"path": str(source)}, "start": 0, "sourceOut": seconds,
                               "muted": True, "transform": {"flipHorizontal": True}}  # fmt: skip
        if kind == "overlay":
            top["opacity"] = 0.5
        if kind == "blend":
            top["blendMode"] = "screen"
        if kind == "mask":
            top["mask"] = {"shape": {"type": "ellipse", "width": 0.6, "height": 0.6, "feather": 20}}
        tracks.append({"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [top]})
    return {
        "settings": {"width": width, "height": height, "fps": 30},
        "tracks": tracks,
        "output": {"path": str(out), "preset": "veryfast", "crf": 23},
    }


def child(project_file: str) -> None:
    """Render one project in this process with the service's engine; print wall seconds and peak MiB."""
    from google.protobuf import json_format
    from svckit.bus import InProcessBus
    from svckit.executor import BlockingExecutor
    from tstudio.compiler.v1 import project_pb2
    from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer
    from tstudio_compiler.api.convert import project_from_proto
    from tstudio_compiler.composition import build_compiler
    from tstudio_compiler.settings import CompilerSettings

    proto = json_format.Parse(Path(project_file).read_text(), project_pb2.Project())
    model = project_from_proto(proto)
    executor = BlockingExecutor(2, "bench")
    data = Path(project_file).parent / "data"
    compiler = build_compiler(CompilerSettings(port=0, data_dir=data), InProcessBus(), executor)
    prepared = asyncio.run(compiler.prepare(model, need_output=True))
    encode = compiler.encode_settings(prepared.plan)
    started = time.perf_counter()
    stats = PyAvRenderer().render(prepared.plan, encode, lambda *_: None, threading.Event())
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "peak_mib": peak, "frames": stats.frames}))
    executor.shutdown(wait=True)


def measure(kind: str, folder: Path, source: Path, seconds: float, width: int, height: int) -> dict[str, Any]:
    spec = folder / f"{kind}.json"
    spec.write_text(json.dumps(project(kind, source, folder / f"{kind}.mp4", seconds, width, height)))
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(spec)], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(f"{kind} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--child")
    parser.add_argument("--only", nargs="*", default=[], help="forward reverse overlay blend mask")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    width = args.height * 16 // 9 // 2 * 2
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-compositing-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        source = folder / "source.mp4"
        make_source(source, args.seconds, width, args.height)
        print(f"source: {args.seconds:g} s {width}x{args.height} 30 fps, 2 s GOP", flush=True)
        runs = {}
        for kind in args.only or ("forward", "reverse", "overlay", "blend", "mask"):
            runs[kind] = measure(kind, folder, source, args.seconds, width, args.height)
            r = runs[kind]
            print(
                f"{kind:8s} {r['wall']:7.2f} s  peak {r['peak_mib']:6.0f} MiB  {r['frames']} frames",
                flush=True,
            )
        if "forward" in runs and "reverse" in runs:
            f, r = runs["forward"], runs["reverse"]
            print(f"reverse / forward: {r['wall'] / f['wall']:.2f}x time (target <= 2x), "
                  f"peak {r['peak_mib']:.0f} MiB (target < 500)")  # fmt: skip
        for kind in ("blend", "mask"):
            if kind in runs and "overlay" in runs:
                ratio = runs[kind]["wall"] / runs["overlay"]["wall"]
                print(f"{kind} / plain overlay: {ratio:.2f}x time (target <= 1.5x)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
