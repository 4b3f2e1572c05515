"""Fixtures: the media service on a real grpc.aio server (port 0) over generated media."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from svckit.bus import EventBus, InProcessBus
from svckit.channels import open_channel
from svckit.testing import free_port, make_image, make_video, make_wav
from tstudio.media.v1 import media_pb2_grpc
from tstudio_media.composition import MediaRuntime, build_media
from tstudio_media.server import create_server
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
    bus: EventBus
    settings: MediaSettings
    address: str
    runtime: MediaRuntime


def media_settings(tmp_path: Path, **overrides: Any) -> MediaSettings:
    """Port 0 for gRPC and HTTP, data under tmp_path, a fixed signing key."""
    values: dict[str, Any] = {
        "port": 0,
        "http_port": 0,
        "data_dir": tmp_path / "data",
        "url_signing_key": "test-signing-key-0123456789",
        "max_workers": 2,
    }
    values.update(overrides)
    return MediaSettings(**values)


async def start_media(settings: MediaSettings, bus: EventBus | None = None) -> AsyncIterator[RunningMedia]:
    """The service as `__main__` wires it, on free ports; an in-process bus unless one is given."""
    own_bus = bus is None
    event_bus: EventBus = InProcessBus() if bus is None else bus
    if settings.http_port == 0:
        # build_media skips the video server for port 0 unless a public URL is set; tests want it
        # on a free port, so bind one first.
        settings = dataclasses.replace(settings, http_port=free_port())
    runtime = await build_media(settings, event_bus)
    handle = create_server(settings, runtime.deps)
    await handle.start()
    await handle.set_serving(True)
    try:
        address = f"127.0.0.1:{handle.port}"
        async with open_channel(address) as channel:
            yield RunningMedia(
                media_pb2_grpc.MediaServiceStub(channel), event_bus, settings, address, runtime
            )
    finally:
        await handle.stop(0)
        await runtime.close()
        if own_bus:
            await event_bus.close()


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[RunningMedia]:
    """The media service with no allowed-roots restriction."""
    async for running in start_media(media_settings(tmp_path)):
        yield running
