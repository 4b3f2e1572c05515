"""`python -m tstudio_media`: the composition root. Reads settings, builds the adapters, serves
until SIGTERM."""

from __future__ import annotations

import asyncio

from svckit.bootstrap import prepare_process
from svckit.bus import connect_bus
from svckit.server import serve
from svckit.settings import load_settings

from tstudio_media.composition import build_media
from tstudio_media.server import create_server
from tstudio_media.settings import MediaSettings


async def main() -> None:
    settings = load_settings(MediaSettings, "MEDIA")
    prepare_process("media", settings)
    bus = await connect_bus(settings.nats_url, name="media")
    runtime = await build_media(settings, bus)
    handle = create_server(settings, runtime.deps)
    # gRPC stops first (in-flight calls finish), then the video server, then the bus drains.
    await serve(handle, settings, on_shutdown=[runtime.close, bus.close])


if __name__ == "__main__":
    asyncio.run(main())
