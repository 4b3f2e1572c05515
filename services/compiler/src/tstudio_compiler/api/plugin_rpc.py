"""The plugin management RPCs (ListPlugins, InstallPlugin, RemovePlugin, GetPluginStats): proto <->
`PluginRegistry` translation; the servicer delegates to `PluginRpc` one line per RPC."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument
from tstudio.compiler.v1 import compiler_pb2

from tstudio_compiler.api.convert import param_to_proto
from tstudio_compiler.plugins import PluginInfo, PluginKind, PluginRegistry, PluginStatsSnapshot

# Runs a no-argument callable in the blocking pool (Compiler.run_blocking).
RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]

_KINDS = {
    PluginKind.EFFECT: compiler_pb2.PLUGIN_KIND_EFFECT,
    PluginKind.TRANSITION: compiler_pb2.PLUGIN_KIND_TRANSITION,
}


class PluginRpc:
    """`registry` None: this compiler runs no plugin host, and every plugin RPC says so."""

    def __init__(self, registry: PluginRegistry | None, run_blocking: RunBlocking) -> None:
        self._registry = registry
        self._run = run_blocking

    async def list_plugins(
        self, request: compiler_pb2.ListPluginsRequest
    ) -> compiler_pb2.ListPluginsResponse:
        registry = self._need()
        return compiler_pb2.ListPluginsResponse(plugins=[_info(p) for p in registry.list_plugins()])

    async def install(self, request: compiler_pb2.InstallPluginRequest) -> compiler_pb2.InstallPluginResponse:
        registry = self._need()
        if not request.manifest:
            raise InvalidArgument("no manifest", field_violations=[FieldViolation("manifest", "required")])
        if not request.module:
            raise InvalidArgument("no module", field_violations=[FieldViolation("module", "required")])
        # Compiling and the trial start are CPU work (wasmtime): off the event loop.
        info = await self._run(
            partial(registry.install, request.manifest, request.module, replace=request.replace)
        )
        return compiler_pb2.InstallPluginResponse(plugin=_info(info))

    async def remove(self, request: compiler_pb2.RemovePluginRequest) -> compiler_pb2.RemovePluginResponse:
        registry = self._need()
        if not request.plugin_id:
            raise InvalidArgument("no plugin id", field_violations=[FieldViolation("plugin_id", "required")])
        # Deleting the persisted folder touches the disk (fsync).
        await self._run(partial(registry.remove, request.plugin_id))
        return compiler_pb2.RemovePluginResponse()

    async def stats(self, request: compiler_pb2.GetPluginStatsRequest) -> compiler_pb2.GetPluginStatsResponse:
        registry = self._need()
        snapshots = registry.stats(request.plugin_id or None)
        return compiler_pb2.GetPluginStatsResponse(stats=[_stats(s) for s in snapshots])

    def _need(self) -> PluginRegistry:
        if self._registry is None:
            raise FailedPrecondition("this compiler runs no plugin host", reason="PLUGINS_UNAVAILABLE")
        return self._registry


def _info(p: PluginInfo) -> compiler_pb2.PluginInfo:
    m = p.manifest
    return compiler_pb2.PluginInfo(
        id=m.id,
        name=m.name,
        version=m.version,
        kind=_KINDS[m.kind],
        type=m.type_name,
        description=m.description,
        params=[param_to_proto(param) for param in m.params],
        permissions=list(m.permissions),
        module_bytes=p.module_bytes,
        memory_ceiling_bytes=p.memory_ceiling_bytes,
        fuel_per_pixel=p.fuel_per_pixel,
    )


def _stats(s: PluginStatsSnapshot) -> compiler_pb2.PluginStats:
    return compiler_pb2.PluginStats(
        plugin_id=s.plugin_id,
        calls=s.calls,
        faults=s.faults,
        fuel_used=s.fuel_used,
        seconds=s.seconds,
        peak_memory_bytes=s.peak_memory_bytes,
        faults_by_reason=s.faults_by_reason,
        last_fault=s.last_fault,
    )
