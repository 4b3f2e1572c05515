"""Keyframes, text animations and captions: what motion costs a render, and against the ffmpeg CLI.

The issue's case: a 20 s 1920x1080 30 fps timeline — a background clip, a keyframed picture-in-
picture (x, y, scale, rotation and opacity on eased curves), an animated title (animateIn/animateOut
plus keyframed opacity) and SRT captions — rendered by our engine (Render over gRPC, in process);
against (a) the same timeline without any animation (static PiP and title, same captions; target:
within 1.25x) and (b) the ffmpeg CLI running the command ExplainRender prints for the animated
timeline (target: no slower).

    .venv/bin/python bench/compiler_motion.py [--seconds 20] [--height 1080] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from compiler_render import FFMPEG, ours, run_child
from google.protobuf import json_format
from tstudio.compiler.v1 import project_pb2

FPS = 30


def make_media(folder: Path, seconds: float, width: int, height: int) -> tuple[Path, Path, Path]:
    background, pip = folder / "background.mp4", folder / "pip.mp4"
    for path, source in ((background, "testsrc2"), (pip, "smptebars")):
        run_child(
            [
                FFMPEG, "-y", "-f", "lavfi", "-i", f"{source}=size={width}x{height}:rate={FPS}:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-c:a", "aac", "-shortest", str(path),
            ]
        )  # fmt: skip
    captions = folder / "talk.srt"
    cues = []
    for index in range(int(seconds // 2)):
        start, end = index * 2 + 0.2, index * 2 + 1.8
        cues.append(
            f"{index + 1}\n{_srt(start)} --> {_srt(end)}\nCaption number {index + 1}, said out loud\n"
        )
    captions.write_text("\n".join(cues))
    return background, pip, captions


def _srt(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def edit(
    media: tuple[Path, Path, Path], seconds: float, width: int, height: int, output: Path, animated: bool
) -> dict[str, Any]:
    background, pip, captions = media
    k = height / 1080
    pip_clip: dict[str, Any] = {
        "id": "pip",
        "source": {"path": str(pip)},
        "duration": seconds,
        "transform": {"x": 0.75, "y": 0.3, "scale": 0.35},
    }
    title_text: dict[str, Any] = {"text": "Motion and words", "fontSize": 96 * k, "color": "#ffffff",
                                  "backgroundColor": "#000000a0", "padding": 20 * k, "cornerRadius": 16 * k}  # fmt: skip
    title: dict[str, Any] = {"id": "title", "source": {"text": title_text}, "start": 1, "duration": seconds - 2,
                             "transform": {"x": 0.5, "y": 0.15}}  # fmt: skip
    if animated:
        pip_clip["animations"] = [
            {"property": "transform.x", "keyframes": [
                {"time": 0, "value": 0.25}, {"time": seconds / 2, "value": 0.75, "easing": "easeInOutCubic"},
                {"time": seconds, "value": 0.3, "easing": "easeOutBack"}]},
            {"property": "transform.y", "keyframes": [
                {"time": 0, "value": 0.7}, {"time": seconds, "value": 0.3, "easing": "easeInOutSine"}]},
            {"property": "transform.scale", "keyframes": [
                {"time": 0, "value": 0.2}, {"time": 2, "value": 0.35, "easing": "easeOutBack"}]},
            {"property": "transform.rotation", "keyframes": [
                {"time": 0, "value": -10}, {"time": seconds, "value": 10, "easing": "cubic-bezier(0.4,0,0.2,1)"}]},
            {"property": "opacity", "keyframes": [{"time": 0, "value": 0}, {"time": 1, "value": 1}]},
        ]  # fmt: skip
        title_text["animateIn"] = {"type": "slide", "duration": 0.8, "direction": "up", "by": "word"}
        title_text["animateOut"] = {"type": "fade", "duration": 0.6}
        title["animations"] = [
            {"property": "opacity", "keyframes": [{"time": 0, "value": 0.6}, {"time": 2, "value": 1}]}
        ]
    return {
        "name": "motion",
        "settings": {"width": width, "height": height, "fps": FPS},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "bg", "source": {"path": str(background)}, "duration": seconds}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [pip_clip]},
            {"id": "t", "kind": "TRACK_KIND_TEXT", "clips": [
                title,
                {"id": "subs", "source": {"captions": {"path": str(captions)}}, "duration": seconds},
            ]},
        ],
        "output": {"path": str(output), "preset": "veryfast", "crf": 23},
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--keep", type=Path, help="keep the media and outputs here")
    args = parser.parse_args()
    height = args.height - args.height % 2
    width = round(height * 16 / 9 / 2) * 2
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-motion-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        media = make_media(folder, args.seconds, width, height)
        runs = {}
        # A short render first, so that neither measured run pays for first-use costs (fonts, encoders).
        warm = edit(media, 4.0, width, height, folder / "warm.mp4", True)
        asyncio.run(ours(json_format.ParseDict(warm, project_pb2.Project()), [0.5], folder / "data-warm"))
        for name, animated in (("static", False), ("animated", True)):
            data = edit(media, args.seconds, width, height, folder / f"{name}.mp4", animated)
            project = json_format.ParseDict(data, project_pb2.Project())
            runs[name] = asyncio.run(ours(project, [args.seconds / 2], folder / f"data-{name}"))
        explain = runs["animated"]["explain"]
        explain[-1] = str(folder / "ffmpeg.mp4")
        cli_wall, cli_peak = run_child([FFMPEG, *explain[1:]])
        ours_wall, static_wall = runs["animated"]["wall"], runs["static"]["wall"]
        print(f"{args.seconds:g} s {width}x{height} {FPS} fps, keyframed PiP + animated title + captions")
        print(f"  ours, without animation   {static_wall:7.2f} s")
        print(
            f"  ours, animated            {ours_wall:7.2f} s   {ours_wall / static_wall:.2f}x of static (target <= 1.25)"
        )
        print(
            f"  ffmpeg CLI, explained cmd {cli_wall:7.2f} s   ours/CLI {ours_wall / cli_wall:.2f} (target <= 1)"
        )
        print(f"  RenderFrame mid-timeline  {runs['animated']['latencies'][0] * 1000:7.0f} ms")
        print(f"  peak RSS ours {runs['animated']['peak']:.0f} MiB, CLI {cli_peak:.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
