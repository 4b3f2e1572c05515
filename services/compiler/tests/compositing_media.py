"""Small media for the compositing tests: a moving bar with a rising tone, pictures from arrays."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

BAR_FPS = 30
BAR_WIDTH, BAR_HEIGHT = 64, 48
RATE = 48000


def make_bar_video(path: Path, seconds: float = 2.0, gop: int = 10) -> Path:
    """A 4 px white bar on black at x = frame index (0..59 over 2 s); a 440 Hz tone whose amplitude
    rises linearly from 0 to 0.8 over the file."""
    frames = round(seconds * BAR_FPS)
    with av.open(str(path), "w") as container:
        video: Any = container.add_stream("libx264", rate=BAR_FPS)
        video.width, video.height, video.pix_fmt = BAR_WIDTH, BAR_HEIGHT, "yuv420p"
        video.codec_context.gop_size = gop
        audio: Any = container.add_stream("aac", rate=RATE)
        audio.layout = "stereo"
        for index in range(frames):
            image = np.zeros((BAR_HEIGHT, BAR_WIDTH, 3), np.uint8)
            image[:, index % (BAR_WIDTH - 4) : index % (BAR_WIDTH - 4) + 4] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, BAR_FPS)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        total = round(seconds * RATE)
        t = np.arange(total) / RATE
        samples = (0.8 * t / seconds * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for at in range(0, total, 1024):
            chunk = samples[at : at + 1024]
            frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = RATE, at, Fraction(1, RATE)
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


def bar_position(frame: np.ndarray) -> int:
    """The bar's left edge in an RGB frame."""
    columns = frame[..., 0].astype(float).mean(axis=0)
    return int(np.argmax(np.convolve(columns, np.ones(4), mode="valid")))


def save_picture(path: Path, pixels: np.ndarray) -> Path:
    """An RGB or RGBA uint8 array as a PNG."""
    Image.fromarray(pixels, "RGBA" if pixels.shape[2] == 4 else "RGB").save(path)
    return path


def make_striped_video(path: Path, width: int, height: int, colours: list[tuple[int, int, int]]) -> Path:
    """1 s at 10 fps of vertical stripes of equal width, one per colour, left to right."""
    image = np.zeros((height, width, 3), np.uint8)
    for i, colour in enumerate(colours):
        image[:, i * width // len(colours) : (i + 1) * width // len(colours)] = colour
    with av.open(str(path), "w") as container:
        video: Any = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        for index in range(10):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 10)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
    return path


def envelope(samples: np.ndarray, parts: int) -> np.ndarray:
    """RMS of `samples` in `parts` equal pieces."""
    pieces = np.array_split(samples, parts)
    return np.array([float(np.sqrt(np.mean(p**2))) for p in pieces])
