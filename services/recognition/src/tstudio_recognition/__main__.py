"""Composition root: settings, event bus, executor, models; then serve until SIGTERM."""

from __future__ import annotations

import asyncio
import logging

from svckit.bootstrap import prepare_process
from svckit.bus import connect_bus
from svckit.executor import BlockingExecutor
from svckit.server import serve
from svckit.settings import load_settings

from tstudio_recognition.deps import build_deps
from tstudio_recognition.server import create_server
from tstudio_recognition.settings import RecognitionSettings

log = logging.getLogger("tstudio_recognition")


async def main() -> None:
    settings = load_settings(RecognitionSettings, "RECOGNITION")
    prepare_process("recognition", settings)
    bus = await connect_bus(settings.nats_url, name="recognition")
    executor = BlockingExecutor(settings.max_workers, "recognition")
    # Reading the model packages (and converting CenterFace on the first start) is blocking.
    deps = await executor.run(build_deps, settings, bus, executor)
    for name in settings.preload_models:
        session = await executor.run(deps.sessions.session, name)
        log.info("preloaded %s on %s", name, session.report.primary)
    handle = create_server(settings, deps)

    async def stop_jobs() -> None:
        await deps.jobs.close()
        executor.shutdown(wait=False)

    await serve(handle, settings, on_shutdown=[stop_jobs, bus.close])


if __name__ == "__main__":
    asyncio.run(main())
