"""A `SegmentRenderer` that encodes deterministic test-pattern segments (no timeline needed).

It stands in for the render engine in tests and benchmarks of the queue, cache and join: each frame
is a solid colour that changes with the frame number, encoded as H.264 in MP4 starting on a keyframe
with fixed settings (one thread, so the bytes are reproducible). Description keys: `width`, `height`,
`fps`, `frames`, `color` ([r, g, b]), optional `frame_delay` (seconds slept per frame, to make a
task slow enough to kill a worker in the middle of it).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument

from tstudio_compiler.scale.domain.render_ports import SegmentTask

ENCODER_OPTIONS = {"preset": "ultrafast", "tune": "zerolatency", "crf": "23"}


def pattern_color(base: Sequence[int], frame: int) -> tuple[int, int, int]:
    """The colour of frame `frame` of a segment whose base colour is `base`."""
    step = (frame * 8) % 256
    return (int(base[0] + step) % 256, int(base[1] + step // 2) % 256, int(base[2]) % 256)


def encode_pattern_segment(
    path: str | Path, description: Mapping[str, Any], frame_delay: float = 0.0
) -> Path:
    """Write a test-pattern segment to `path` (atomically). Blocking."""
    import av
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = int(description.get("width", 160)), int(description.get("height", 120))
    fps, frames = int(description.get("fps", 30)), int(description.get("frames", 30))
    base = description.get("color", [32, 64, 128])
    bad = [
        FieldViolation(
            f"description.{name}", "must be a positive even number" if name != "frames" else "must be > 0"
        )
        for name, value in (("width", width), ("height", height), ("frames", frames))
        if value <= 0 or (name != "frames" and value % 2)
    ]
    if fps <= 0:
        bad.append(FieldViolation("description.fps", "must be > 0"))
    if bad:
        raise InvalidArgument("test-pattern segment description is invalid", field_violations=bad)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        with av.open(str(tmp), "w", format="mpegts" if path.suffix == ".ts" else "mp4") as container:
            stream: Any = container.add_stream("libx264", rate=fps, options=dict(ENCODER_OPTIONS))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.thread_count = 1
            stream.codec_context.gop_size = max(frames, 1)
            image = np.empty((height, width, 3), dtype=np.uint8)
            for index in range(frames):
                image[:] = pattern_color(base, index)
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, fps)
                container.mux(stream.encode(frame))
                if frame_delay:
                    time.sleep(frame_delay)
            container.mux(stream.encode(None))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class PatternSegmentRenderer:
    """Renders `SegmentTask`s as test-pattern segments in a thread (PyAV releases the GIL)."""

    def __init__(self, frame_delay: float = 0.0) -> None:
        self.frame_delay = frame_delay
        self.rendered: list[tuple[str, int]] = []

    async def render(self, task: SegmentTask) -> Path:
        delay = float(task.segment.description.get("frame_delay", self.frame_delay))
        path = await asyncio.to_thread(
            encode_pattern_segment, task.output_path, task.segment.description, delay
        )
        self.rendered.append((task.job_id, task.segment.index))
        return path
