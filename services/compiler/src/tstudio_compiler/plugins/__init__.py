"""WASM effect and transition plugins, run by wasmtime under fuel, a memory ceiling and an epoch deadline.

The ABI plugins implement is in docs/plugins.md. For the compiler engine, the whole API is
`PluginRegistry` (thread-safe; make one in the composition root and `close()` it at shutdown):

    registry = PluginRegistry(settings.data_dir / "plugins", host_policy(settings))   # None: in memory only
    registry.load_installed()            # at start-up: every <dir>/<id>/plugin.toml; broken ones logged, skipped
    build_compiler(..., plugins=registry)  # effects() / transitions(): `plugin:<id>` catalog entries
                                           # (EffectDef build=None, TransitionDef xfade=""); bind() renders them

    # validation of a timeline (INVALID_ARGUMENT with field paths; NOT_FOUND for an unknown id):
    registry.check_params(plugin_id, params, where="tracks[0].clips[1].effects[0].params")

    # rendering, in a worker thread (BlockingExecutor), never on the event loop:
    bound = registry.bind(plugin_id, params)          # once per clip: params checked and encoded once
    out = bound.effect(rgba, time_s, out=None)        # rgba: uint8 (h, w, 4); returns `out` or a new array
    out = bound.transition(a, b, progress, out=None)  # a outgoing, b incoming, progress 0..1
    view = bound.effect_view(rgba, time_s)            # no copy out: a read-only view of the plugin's
    view = bound.transition_view(a, b, progress)      #   memory, valid until this thread's next call
    registry.apply_effect(id, rgba, t, params) / registry.apply_transition(id, a, b, progress, params)
    # on PyAV frames (plugins/frame_stage.py), after the clip's FFmpeg filter graph, before the encoder:
    stage = PluginEffectStage([registry.bind(id, params) for each plugin effect of the clip])
    frame = stage.apply(frame, time_s)                # RGBA frame out, same pts/time_base
    frame = apply_transition(bound, outgoing_frame, incoming_frame, progress)

    # management RPCs:
    registry.install(manifest_text, module_bytes, replace=False)  # InstallPlugin; persisted atomically
    registry.load_dir(folder)            # install from a folder (plugin.toml + .wasm/.wat)
    registry.remove(plugin_id)           # RemovePlugin
    registry.list_plugins() / registry.get(id)   # ListPlugins: PluginInfo(manifest, module_bytes, limits)
    registry.stats(id=None)              # GetPluginStats: calls, faults by reason, fuel, seconds, peak memory
    PluginMetrics(registry)              # a Prometheus collector: REGISTRY.register(PluginMetrics(registry))

Errors are svckit errors: a bad manifest/module/params is InvalidArgument (field paths in
`field_violations`), an unknown plugin NotFound, a refused permission PermissionDenied, a duplicate
AlreadyExists, and anything a plugin does wrong while running (trap, out of fuel, deadline, memory
ceiling, abort, non-zero status) is `PluginFault` (FAILED_PRECONDITION, reason `PLUGIN_*`, metadata
`plugin_id`). A fault fails only the call that hit it; the plugin gets a fresh instance on its next call.
"""

from tstudio_compiler.plugins.errors import PluginFault
from tstudio_compiler.plugins.manifest import PluginKind, PluginManifest, parse_manifest
from tstudio_compiler.plugins.metrics import PluginMetrics
from tstudio_compiler.plugins.policy import HostPolicy
from tstudio_compiler.plugins.registry import BoundPlugin, PluginInfo, PluginRegistry
from tstudio_compiler.plugins.stats import PluginStatsSnapshot

__all__ = [
    "BoundPlugin",
    "HostPolicy",
    "PluginFault",
    "PluginInfo",
    "PluginKind",
    "PluginManifest",
    "PluginMetrics",
    "PluginRegistry",
    "PluginStatsSnapshot",
    "parse_manifest",
]
