from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest


def write_tone(path: Path, seconds: float, sample_rate: int = 48000) -> Path:
    """An AAC (in MP4) stereo 440 Hz tone: the whole-timeline audio of a joined output."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream("aac", rate=sample_rate)
        stream.layout = "stereo"
        samples = int(seconds * sample_rate)
        t = np.arange(samples) / sample_rate
        tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        block = 1024
        for start in range(0, samples, block):
            chunk = np.vstack([tone[start : start + block]] * 2)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = sample_rate, start, Fraction(1, sample_rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture
def tone_file(tmp_path: Path) -> Iterator[Path]:
    yield write_tone(tmp_path / "timeline-audio.m4a", seconds=2.0)


@pytest.fixture
def make_tone() -> Any:
    return write_tone
