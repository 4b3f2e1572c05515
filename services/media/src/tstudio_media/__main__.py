"""`python -m tstudio_media`: the composition root. Reads settings, builds the adapters, serves
until SIGTERM."""

from __future__ import annotations

import asyncio

from svckit.bootstrap import prepare_process
from svckit.bus import connect_bus
from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots
from svckit.server import serve
from svckit.settings import load_settings

from tstudio_media.adapters.ffmpeg_diagnostics import FFmpegDiagnostics
from tstudio_media.adapters.media_events import MediaEvents
from tstudio_media.adapters.pyav_probe import PyAVProber
from tstudio_media.server import MediaDeps, create_server
from tstudio_media.settings import MediaSettings


async def main() -> None:
    settings = load_settings(MediaSettings, "MEDIA")
    prepare_process("media", settings)
    bus = await connect_bus(settings.nats_url, name="media")
    executor = BlockingExecutor(settings.max_workers, "media")
    deps = MediaDeps(
        executor=executor,
        roots=AllowedRoots(settings.allowed_roots),
        prober=PyAVProber(max_pixels=settings.max_pixels),
        events=MediaEvents(bus),
        diagnostics=FFmpegDiagnostics(),
    )
    handle = create_server(settings, deps)

    async def stop_executor() -> None:
        executor.shutdown(wait=False)

    await serve(handle, settings, on_shutdown=[bus.close, stop_executor])


if __name__ == "__main__":
    asyncio.run(main())
