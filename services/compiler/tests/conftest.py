"""Fixtures: the compiler on a real grpc.aio server (port 0), and media generated with PyAV."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import grpc
import numpy as np
import pytest
from google.protobuf import json_format
from svckit.bus import InProcessBus
from svckit.executor import BlockingExecutor
from svckit.testing import make_image, make_video, make_wav
from tstudio.compiler.v1 import compiler_pb2_grpc, project_pb2
from tstudio_compiler.composition import build_compiler
from tstudio_compiler.domain.compiler import Compiler
from tstudio_compiler.plugins import PluginRegistry
from tstudio_compiler.server import create_server
from tstudio_compiler.settings import CompilerSettings

# Where the flash frame and the beep sit in `flash.mp4` (source seconds).
FLASH_AT = 1.5


@dataclass
class Media:
    root: Path
    red_green: Path  # 2 s 160x120 30 fps: red second, then green; 440 Hz tone
    blue_yellow: Path  # 2 s: blue, then yellow; 440 Hz tone
    logo: Path  # 32x32 white PNG
    tone: Path  # 3 s 48 kHz stereo 440 Hz WAV
    flash: Path  # 3 s black video with one white frame at FLASH_AT and a beep there, silence elsewhere


def make_flash_video(path: Path, seconds: float = 3.0, fps: int = 30, rate: int = 48000) -> Path:
    """Black frames with a single white one at FLASH_AT; silent audio with a 1-frame beep at FLASH_AT."""
    flash_frame = round(FLASH_AT * fps)
    with av.open(str(path), "w") as container:
        video: Any = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        video.codec_context.options = {"g": "10"}
        audio: Any = container.add_stream("aac", rate=rate)
        audio.layout = "stereo"
        for index in range(round(seconds * fps)):
            value = 255 if index == flash_frame else 0
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), value, np.uint8), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        total = round(seconds * rate)
        samples = np.zeros(total, np.float32)
        start = round(FLASH_AT * rate)
        t = np.arange(rate // fps) / rate
        samples[start : start + len(t)] = 0.8 * np.sin(2 * np.pi * 1000 * t)
        for at in range(0, total, 1024):
            chunk = samples[at : at + 1024]
            frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = rate, at, Fraction(1, rate)
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    root = tmp_path_factory.mktemp("media")
    return Media(
        root=root,
        red_green=make_video(root / "red_green.mp4", seconds=2.0, colors=((255, 0, 0), (0, 255, 0))),
        blue_yellow=make_video(root / "blue_yellow.mp4", seconds=2.0, colors=((0, 0, 255), (255, 255, 0))),
        logo=make_image(root / "logo.png", width=32, height=32, color=(255, 255, 255)),
        tone=make_wav(root / "tone.wav", seconds=3.0),
        flash=make_flash_video(root / "flash.mp4"),
    )


@dataclass
class Running:
    stub: compiler_pb2_grpc.CompilerServiceStub
    compiler: Compiler
    bus: InProcessBus
    settings: CompilerSettings
    port: int = 0


async def start_compiler(tmp_path: Path, **overrides: Any) -> AsyncIterator[Running]:
    async for running in serve(CompilerSettings(port=0, data_dir=tmp_path / "data", **overrides)):
        yield running


async def serve(settings: CompilerSettings, plugins: PluginRegistry | None = None) -> AsyncIterator[Running]:
    """The compiler built from `settings` (and `plugins` as its plugin host) on a real gRPC server."""
    bus = InProcessBus()
    executor = BlockingExecutor(4, "compiler-test")
    compiler = build_compiler(settings, bus, executor, plugins)
    handle = create_server(settings, compiler, plugins)
    await handle.start()
    await handle.set_serving(True)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}")
    try:
        yield Running(compiler_pb2_grpc.CompilerServiceStub(channel), compiler, bus, settings, handle.port)
    finally:
        await channel.close()
        await compiler.jobs.close()
        await handle.stop(0)
        executor.shutdown(wait=True)


@pytest.fixture
async def compiler(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start_compiler(tmp_path, max_concurrent_renders=1, max_queued_renders=1):
        yield running


def project(data: dict[str, Any], base_dir: Path | str = "") -> project_pb2.Project:
    """A Project from its JSON form (camelCase keys, as in project files)."""
    message = json_format.Parse(json.dumps(data), project_pb2.Project())
    if base_dir:
        message.base_dir = str(base_dir)
    return message


def decode_rgb(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples and the rate."""
    parts = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray()[0])
    return np.concatenate(parts), rate


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two 8-bit pictures in dB (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)
