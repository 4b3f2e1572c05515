"""`python -m tstudio_compiler`: the composition root. Reads settings, builds the adapters, serves
until SIGTERM."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY
from svckit.bootstrap import prepare_process
from svckit.bus import connect_bus
from svckit.executor import BlockingExecutor
from svckit.server import serve
from svckit.settings import load_settings

from tstudio_compiler.composition import build_compiler
from tstudio_compiler.plugins.metrics import PluginMetrics
from tstudio_compiler.plugins.registry import PluginRegistry
from tstudio_compiler.server import create_server
from tstudio_compiler.settings import CompilerSettings


async def main() -> None:
    settings = load_settings(CompilerSettings, "COMPILER")
    prepare_process("compiler", settings)
    bus = await connect_bus(settings.nats_url, name="compiler")
    # Renders hold one worker each for their whole length; previews and probes need the rest.
    executor = BlockingExecutor(settings.max_workers + settings.max_concurrent_renders, "compiler")
    plugins = PluginRegistry(settings.data_dir.expanduser() / "plugins")
    plugins.load_installed()
    REGISTRY.register(PluginMetrics(plugins))
    compiler = build_compiler(settings, bus, executor, plugins)
    handle = create_server(settings, compiler, plugins)

    async def stop_jobs() -> None:
        # Running renders are cancelled; their partial outputs are removed, never left under the final name.
        await compiler.jobs.close()
        executor.shutdown(wait=False)
        plugins.close()

    await serve(handle, settings, on_shutdown=[stop_jobs, bus.close])


if __name__ == "__main__":
    asyncio.run(main())
