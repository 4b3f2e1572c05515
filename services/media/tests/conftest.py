"""Fixtures: the media service on a real grpc.aio server (port 0) over generated media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from svckit.bus import EventBus, InProcessBus
from svckit.channels import open_channel
from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots
from svckit.testing import make_image, make_video, make_wav
from tstudio.media.v1 import media_pb2_grpc
from tstudio_media.adapters.ffmpeg_diagnostics import FFmpegDiagnostics
from tstudio_media.adapters.media_events import MediaEvents
from tstudio_media.adapters.pyav_probe import PyAVProber
from tstudio_media.server import MediaDeps, create_server
from tstudio_media.settings import MediaSettings


@dataclass
class Media:
    """Generated files with known properties, shared by a test module."""

    root: Path
    video: Path  # 2 s, 160x120, 30 fps, a colour per second, stereo 440 Hz AAC at 48 kHz
    wav: Path  # 1 s, 48 kHz stereo, 440 Hz sine at amplitude 0.5
    png: Path  # 64x48 red


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    root = tmp_path_factory.mktemp("media")
    return Media(
        root=root,
        video=make_video(root / "clip.mp4", seconds=2.0, width=160, height=120, fps=30),
        wav=make_wav(root / "tone.wav", seconds=1.0),
        png=make_image(root / "still.png", width=64, height=48),
    )


@dataclass
class RunningMedia:
    stub: media_pb2_grpc.MediaServiceStub
    bus: InProcessBus
    settings: MediaSettings
    address: str


def build_deps(settings: MediaSettings, bus: EventBus) -> MediaDeps:
    return MediaDeps(
        executor=BlockingExecutor(2, "media-test"),
        roots=AllowedRoots(settings.allowed_roots),
        prober=PyAVProber(max_pixels=settings.max_pixels),
        events=MediaEvents(bus),
        diagnostics=FFmpegDiagnostics(),
    )


async def start_media(settings: MediaSettings) -> AsyncIterator[RunningMedia]:
    bus = InProcessBus()
    deps = build_deps(settings, bus)
    handle = create_server(settings, deps)
    await handle.start()
    await handle.set_serving(True)
    try:
        address = f"127.0.0.1:{handle.port}"
        async with open_channel(address) as channel:
            yield RunningMedia(media_pb2_grpc.MediaServiceStub(channel), bus, settings, address)
    finally:
        await handle.stop(0)
        await bus.close()
        deps.executor.shutdown()


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[RunningMedia]:
    """The media service with no allowed-roots restriction."""
    async for running in start_media(MediaSettings(port=0, data_dir=tmp_path / "data")):
        yield running
