"""PluginRegistry: install, list, remove and run WASM plugins (the API the compiler engine calls)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from svckit.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound, ServiceError

from tstudio_compiler.domain.effects import EffectDef, EffectKind
from tstudio_compiler.domain.transitions import TransitionDef
from tstudio_compiler.plugins.abi import check_module, check_param_values, check_permissions, encode_params
from tstudio_compiler.plugins.errors import PluginFault
from tstudio_compiler.plugins.host import LoadedPlugin, PluginHost
from tstudio_compiler.plugins.manifest import MANIFEST_NAME, PluginKind, PluginManifest, parse_manifest
from tstudio_compiler.plugins.plugin_folder import PluginFolder
from tstudio_compiler.plugins.policy import HostPolicy, effective_limits
from tstudio_compiler.plugins.stats import PluginStats, PluginStatsSnapshot
from tstudio_compiler.plugins.wasm_runtime import WasmRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginInfo:
    manifest: PluginManifest
    module_bytes: int
    memory_ceiling_bytes: int
    fuel_per_pixel: float


class BoundPlugin:
    """A plugin with its params checked and encoded once, for calling on every frame of a clip."""

    def __init__(self, host: PluginHost, plugin: LoadedPlugin, blob: bytes) -> None:
        self._host, self._plugin, self._blob = host, plugin, blob
        self.kind = plugin.manifest.kind

    def effect(self, rgba: np.ndarray, time_s: float, out: np.ndarray | None = None) -> np.ndarray:
        if self.kind is not PluginKind.EFFECT:
            raise InvalidArgument(f"plugin {self._plugin.id!r} is a transition, not an effect")
        return self._host.apply(self._plugin, (rgba,), time_s, self._blob, out)

    def effect_view(self, rgba: np.ndarray, time_s: float) -> np.ndarray:
        """Like `effect`, but the result is a read-only view of the plugin's memory (no copy out),
        valid until this thread's next call of the same plugin: consume it (encode, composite) first."""
        if self.kind is not PluginKind.EFFECT:
            raise InvalidArgument(f"plugin {self._plugin.id!r} is a transition, not an effect")
        return self._host.apply(self._plugin, (rgba,), time_s, self._blob, view=True)

    def transition(
        self, a: np.ndarray, b: np.ndarray, progress: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        return self._transition(a, b, progress, out, view=False)

    def transition_view(self, a: np.ndarray, b: np.ndarray, progress: float) -> np.ndarray:
        """Like `transition`, returning a read-only view (see `effect_view`)."""
        return self._transition(a, b, progress, None, view=True)

    def _transition(
        self, a: np.ndarray, b: np.ndarray, progress: float, out: np.ndarray | None, *, view: bool
    ) -> np.ndarray:
        if self.kind is not PluginKind.TRANSITION:
            raise InvalidArgument(f"plugin {self._plugin.id!r} is an effect, not a transition")
        return self._host.apply(
            self._plugin, (a, b), min(1.0, max(0.0, progress)), self._blob, out, view=view
        )


class PluginRegistry:
    """Thread-safe. `directory=None` keeps installs in memory only (tests, previews)."""

    def __init__(self, directory: Path | None = None, policy: HostPolicy | None = None) -> None:
        self.policy = policy or HostPolicy()
        self._runtime = WasmRuntime(self.policy.epoch_tick_ms)
        self._host = PluginHost(self._runtime, self.policy)
        self._folder = PluginFolder(directory) if directory is not None else None
        self._plugins: dict[str, LoadedPlugin] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._runtime.close()

    # -- installing -------------------------------------------------------------------------------------

    def load_installed(self) -> list[str]:
        """Load every plugin in the plugins directory (start-up); a broken one is logged and skipped."""
        loaded: list[str] = []
        if self._folder is None:
            return loaded
        for folder in self._folder.entries():
            try:
                info = self.load_dir(folder, persist=False)
                loaded.append(info.manifest.id)
            except ServiceError as exc:
                log.error("skipping plugin in %s: %s", folder, exc.message)
        return loaded

    def load_dir(self, folder: Path, *, replace: bool = False, persist: bool = True) -> PluginInfo:
        """Install from a folder holding `plugin.toml` and the module it names (`.wasm` or `.wat`)."""
        manifest_path = folder / MANIFEST_NAME
        if not manifest_path.is_file():
            raise InvalidArgument(
                f"no {MANIFEST_NAME} in {folder}",
                field_violations=[FieldViolation("manifest", f"{MANIFEST_NAME} not found")],
            )
        manifest_bytes = _read_limited(manifest_path, self.policy.max_manifest_bytes, "manifest")
        manifest = parse_manifest(_utf8(manifest_bytes, "manifest"))
        module_bytes = _read_limited(folder / manifest.module, self.policy.max_module_bytes, "module")
        return self._install(
            manifest, manifest_bytes.decode(), module_bytes, replace=replace, persist=persist
        )

    def install(
        self, manifest_text: str | bytes, module_bytes: bytes, *, replace: bool = False
    ) -> PluginInfo:
        """Validate and install a plugin (the InstallPlugin RPC): manifest text plus module bytes."""
        raw = manifest_text.encode() if isinstance(manifest_text, str) else manifest_text
        _check_size(len(raw), self.policy.max_manifest_bytes, "manifest")
        _check_size(len(module_bytes), self.policy.max_module_bytes, "module")
        text = _utf8(raw, "manifest")
        return self._install(parse_manifest(text), text, module_bytes, replace=replace, persist=True)

    def _install(
        self,
        manifest: PluginManifest,
        manifest_text: str,
        module_bytes: bytes,
        *,
        replace: bool,
        persist: bool,
    ) -> PluginInfo:
        check_permissions(manifest.permissions, self.policy.allowed_permissions)
        if not replace and manifest.id in self._plugins:
            raise AlreadyExists(f"plugin {manifest.id!r} is already installed", reason="PLUGIN_EXISTS")
        compiled = self._runtime.compile(module_bytes, manifest.module)
        check_module(compiled.shape, manifest.kind, manifest.permissions)
        plugin = LoadedPlugin(
            manifest=manifest,
            compiled=compiled,
            limits=effective_limits(manifest, self.policy),
            stats=PluginStats(manifest.id),
        )
        # A trial instance proves the module starts within its limits and speaks our ABI.
        try:
            self._host.check_abi(plugin)
        except PluginFault as exc:
            raise InvalidArgument(
                f"the module failed its trial start: {exc.message}",
                reason="PLUGIN_TRIAL_FAILED",
                field_violations=[FieldViolation("module", exc.message)],
            ) from None
        with self._lock:
            if not replace and manifest.id in self._plugins:
                raise AlreadyExists(f"plugin {manifest.id!r} is already installed", reason="PLUGIN_EXISTS")
            if persist and self._folder is not None:
                self._folder.write(manifest.id, manifest_text, manifest.module, module_bytes)
            self._plugins[manifest.id] = plugin
        log.info(
            "installed plugin %s %s (%s, %d bytes)",
            manifest.id,
            manifest.version,
            manifest.kind.value,
            len(module_bytes),
        )
        return self._info(plugin)

    def remove(self, plugin_id: str) -> None:
        with self._lock:
            if self._plugins.pop(plugin_id, None) is None:
                raise _not_found(plugin_id)
            if self._folder is not None:
                self._folder.delete(plugin_id)
        log.info("removed plugin %s", plugin_id)

    # -- listing ----------------------------------------------------------------------------------------

    def list_plugins(self) -> list[PluginInfo]:
        return [self._info(p) for p in sorted(self._plugins.values(), key=lambda p: p.id)]

    def get(self, plugin_id: str) -> PluginInfo:
        return self._info(self._get(plugin_id))

    def effects(self) -> list[EffectDef]:
        """Effect plugins as catalog entries `plugin:<id>` (makes the registry an EffectProvider)."""
        return [
            EffectDef(
                type=p.manifest.type_name,
                display_name=p.manifest.name,
                kind=EffectKind.VIDEO,
                category=p.manifest.category,
                params=p.manifest.params,
                build=None,
                origin="plugin",
            )
            for p in self._sorted(PluginKind.EFFECT)
        ]

    def transitions(self) -> list[TransitionDef]:
        """Transition plugins as catalog entries `plugin:<id>` (no xfade: rendered on frames)."""
        return [
            TransitionDef(
                type=p.manifest.type_name,
                display_name=p.manifest.name,
                xfade="",
                params=p.manifest.params,
                origin="plugin",
            )
            for p in self._sorted(PluginKind.TRANSITION)
        ]

    def stats(self, plugin_id: str | None = None) -> list[PluginStatsSnapshot]:
        if plugin_id is not None:
            return [self._get(plugin_id).stats.snapshot()]
        return [p.stats.snapshot() for p in sorted(self._plugins.values(), key=lambda p: p.id)]

    # -- running ----------------------------------------------------------------------------------------

    def check_params(
        self, plugin_id: str, params: Mapping[str, Any], where: str = "params"
    ) -> dict[str, Any]:
        """Resolved params (defaults filled in) or InvalidArgument; for timeline validation."""
        return check_param_values(self._get(plugin_id).manifest.params, params, where)

    def bind(self, plugin_id: str, params: Mapping[str, Any]) -> BoundPlugin:
        """Check and encode params once; call the result on every frame of a clip."""
        plugin = self._get(plugin_id)
        values = check_param_values(plugin.manifest.params, params)
        return BoundPlugin(self._host, plugin, encode_params(plugin.manifest.params, values))

    def apply_effect(
        self,
        plugin_id: str,
        rgba: np.ndarray,
        time_s: float,
        params: Mapping[str, Any] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Run an effect plugin on an RGBA frame (h, w, 4) uint8; returns `out` or a new array."""
        return self.bind(plugin_id, params or {}).effect(rgba, time_s, out)

    def apply_transition(
        self,
        plugin_id: str,
        a: np.ndarray,
        b: np.ndarray,
        progress: float,
        params: Mapping[str, Any] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Blend frame `a` (outgoing) into `b` (incoming) at `progress` 0..1."""
        return self.bind(plugin_id, params or {}).transition(a, b, progress, out)

    # -- internals --------------------------------------------------------------------------------------

    def _get(self, plugin_id: str) -> LoadedPlugin:
        plugin = self._plugins.get(plugin_id)
        if plugin is None:
            raise _not_found(plugin_id)
        return plugin

    def _sorted(self, kind: PluginKind) -> list[LoadedPlugin]:
        return sorted((p for p in self._plugins.values() if p.manifest.kind is kind), key=lambda p: p.id)

    def _info(self, plugin: LoadedPlugin) -> PluginInfo:
        return PluginInfo(
            manifest=plugin.manifest,
            module_bytes=plugin.compiled.wasm_bytes,
            memory_ceiling_bytes=plugin.limits.memory_bytes,
            fuel_per_pixel=plugin.limits.fuel_per_pixel,
        )


def _not_found(plugin_id: str) -> NotFound:
    return NotFound(f"no plugin {plugin_id!r} is installed", reason="PLUGIN_NOT_FOUND")


def _check_size(size: int, limit: int, field: str) -> None:
    if size > limit:
        raise InvalidArgument(
            f"the {field} is {size} bytes; the limit is {limit}",
            reason="PLUGIN_TOO_LARGE",
            field_violations=[FieldViolation(field, f"at most {limit} bytes")],
        )


def _read_limited(path: Path, limit: int, field: str) -> bytes:
    if not path.is_file():
        raise InvalidArgument(
            f"{path.name} not found", field_violations=[FieldViolation(field, f"{path} not found")]
        )
    _check_size(path.stat().st_size, limit, field)
    return path.read_bytes()


def _utf8(data: bytes, field: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(
            f"the {field} is not UTF-8 text", field_violations=[FieldViolation(field, "not UTF-8")]
        ) from None
