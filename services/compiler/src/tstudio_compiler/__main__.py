"""`python -m tstudio_compiler`: the composition root. Reads settings, builds the adapters, serves
until SIGTERM."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY
from svckit.bootstrap import prepare_process
from svckit.bus import EventBus, NatsBus, connect_bus
from svckit.executor import BlockingExecutor
from svckit.server import serve
from svckit.settings import load_settings
from svckit.work_watch import WorkWatch

from tstudio_compiler.adapters.compiler_metrics import CompilerMetrics
from tstudio_compiler.composition import build_compiler, build_render_workers, queue_config, queue_kind
from tstudio_compiler.plugins.metrics import PluginMetrics
from tstudio_compiler.plugins.policy import host_policy
from tstudio_compiler.plugins.registry import PluginRegistry
from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue
from tstudio_compiler.server import create_server
from tstudio_compiler.settings import CompilerSettings


async def main() -> None:
    settings = load_settings(CompilerSettings, "COMPILER")
    prepare_process("compiler", settings)
    bus = await connect_bus(settings.nats_url, name="compiler")
    # Renders hold one worker each for their whole length; previews and probes need the rest.
    watch = WorkWatch(settings.stuck_after_seconds)
    executor = BlockingExecutor(settings.max_workers + settings.max_concurrent_renders, "compiler", watch)
    plugins = PluginRegistry(settings.data_dir.expanduser() / "plugins", policy=host_policy(settings))
    plugins.load_installed()
    REGISTRY.register(PluginMetrics(plugins))
    queue = await _start_queue(settings, bus)
    metrics = CompilerMetrics()
    REGISTRY.register(metrics)
    compiler = build_compiler(settings, bus, executor, plugins, queue, metrics)
    handle = create_server(settings, compiler, plugins)
    handle.watch_health(watch.stuck)
    workers = build_render_workers(settings, compiler, queue, plugins, metrics) if queue is not None else None
    if workers is not None:
        workers.start()

    async def stop_jobs() -> None:
        if workers is not None:
            await workers.stop(settings.grace_seconds)
        # Running renders are cancelled; their partial outputs are removed, never left under the final name.
        await compiler.jobs.close()
        executor.shutdown(wait=False)
        plugins.close()

    await serve(handle, settings, on_shutdown=[stop_jobs, bus.close])


async def _start_queue(settings: CompilerSettings, bus: EventBus) -> JetStreamRenderQueue | None:
    if queue_kind(settings) == "local":
        return None
    if not isinstance(bus, NatsBus):
        raise SystemExit("COMPILER_QUEUE=jetstream needs NATS: set COMPILER_NATS_URL")
    queue = JetStreamRenderQueue(bus, queue_config(settings))
    await queue.start()
    return queue


if __name__ == "__main__":
    asyncio.run(main())
