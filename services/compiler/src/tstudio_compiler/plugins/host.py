"""Runs effect and transition plugins on RGBA frames: per-thread instances, frames in linear memory.

Each worker thread gets its own instance of each plugin (a wasmtime store is single-threaded), made on
first use and kept for the thread's life. The caller's frame is copied once into the instance's memory
through a numpy view, the plugin works on it in place, and the result is copied once into `out` (or
handed back as a read-only view of that memory, with no copy at all). An
instance that faulted is dropped (its memory and globals are suspect); the next call makes a fresh one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from svckit.errors import FieldViolation, InvalidArgument

from tstudio_compiler.plugins.abi import KIND_EXPORTS, check_abi_version
from tstudio_compiler.plugins.errors import PluginFault
from tstudio_compiler.plugins.manifest import PluginKind, PluginManifest
from tstudio_compiler.plugins.policy import WASM_PAGE, EffectiveLimits, HostPolicy
from tstudio_compiler.plugins.stats import PluginStats
from tstudio_compiler.plugins.wasm_runtime import CompiledModule, PluginInstance, WasmRuntime

log = logging.getLogger(__name__)

PARAMS_BYTES = 8 * 64  # room for the params blob, allocated once per instance


@dataclass
class _Slot:
    """One thread's instance of a plugin and the buffers it allocated in it."""

    instance: PluginInstance
    params_ptr: int
    frames_ptr: int = 0
    frames_capacity: int = 0


@dataclass(eq=False)
class LoadedPlugin:
    """An installed plugin: manifest, compiled module, effective limits, counters, instance pool."""

    manifest: PluginManifest
    compiled: CompiledModule
    limits: EffectiveLimits
    stats: PluginStats
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def id(self) -> str:
        return self.manifest.id


class PluginHost:
    def __init__(self, runtime: WasmRuntime, policy: HostPolicy) -> None:
        self._runtime = runtime
        self._policy = policy

    def check_abi(self, plugin: LoadedPlugin) -> None:
        """Instantiate the plugin within its limits and check the ABI version it speaks."""
        slot = self._slot(plugin)
        version = slot.instance.call(
            "abi_version", fuel=plugin.limits.base_fuel, what="reporting its ABI version"
        )
        check_abi_version(version)

    def apply(
        self,
        plugin: LoadedPlugin,
        frames: Sequence[np.ndarray],
        scalar: float,
        params_blob: bytes,
        out: np.ndarray | None = None,
        *,
        view: bool = False,
    ) -> np.ndarray:
        """Run the plugin's entry point on one frame (effect) or two (transition); result in `out`.

        `view=True` returns a read-only view of the result in the instance's memory instead of a copy:
        valid until this thread's next call of the same plugin (which overwrites it).
        """
        kind = plugin.manifest.kind
        h, w = _check_frames(frames, out)
        nbytes = h * w * 4
        need = nbytes * len(frames)
        if need + PARAMS_BYTES > plugin.limits.memory_bytes:
            raise PluginFault(
                plugin.id,
                f"cannot take a {w}x{h} frame: it needs {need // WASM_PAGE + 1} pages, more than its "
                f"memory ceiling of {plugin.limits.memory_bytes // WASM_PAGE}",
                reason="PLUGIN_MEMORY_LIMIT",
            )
        started = time.perf_counter()
        fuel_used = 0
        fault: PluginFault | None = None
        slot: _Slot | None = None
        try:
            slot = self._slot(plugin)
            instance = slot.instance
            base = self._frames_ptr(plugin, slot, need)
            memory = instance.memory_view()
            for i, frame in enumerate(frames):
                start = base + i * nbytes
                np.copyto(memory[start : start + nbytes].reshape(h, w, 4), frame)
            memory[slot.params_ptr : slot.params_ptr + len(params_blob)] = np.frombuffer(
                params_blob, np.uint8
            )
            entry = KIND_EXPORTS[kind][0]
            args: tuple[float, ...]
            if kind is PluginKind.EFFECT:
                args = (base, w, h, w * 4, scalar, slot.params_ptr, len(params_blob))
            else:
                args = (base, base + nbytes, w, h, w * 4, scalar, slot.params_ptr, len(params_blob))
            fuel = plugin.limits.fuel_for(w * h * len(frames))
            try:
                status = instance.call(entry, *args, fuel=fuel, what=f"rendering a {w}x{h} frame")
            finally:
                fuel_used = instance.last_fuel_used
            if status != 0:
                raise PluginFault(plugin.id, f"returned error status {status}", reason="PLUGIN_ERROR_STATUS")
            # The view is re-made if the plugin grew its memory (the buffer may have moved).
            if view:
                return instance.outside_view(base, nbytes).reshape(h, w, 4)
            result = instance.memory_view()[base : base + nbytes].reshape(h, w, 4)
            if out is None:
                out = np.empty((h, w, 4), np.uint8)
            np.copyto(out, result)
            return out
        except PluginFault as exc:
            fault = exc
            if exc.reason != "PLUGIN_ERROR_STATUS":
                self._discard(plugin)
            log.warning("plugin %s failed: %s", plugin.id, exc.message)
            raise
        finally:
            plugin.stats.record(
                fuel=fuel_used,
                seconds=time.perf_counter() - started,
                memory_bytes=slot.instance.memory_bytes() if slot is not None and fault is None else 0,
                fault_reason=fault.reason if fault else "",
                fault=fault.message if fault else "",
            )

    def _slot(self, plugin: LoadedPlugin) -> _Slot:
        slot: _Slot | None = getattr(plugin._local, "slot", None)
        if slot is None:
            instance = self._runtime.instantiate(
                plugin.compiled, plugin.id, plugin.limits, self._policy.max_log_lines_per_call
            )
            params_ptr = self._alloc(plugin, instance, PARAMS_BYTES)
            slot = _Slot(instance, params_ptr)
            plugin._local.slot = slot
        return slot

    def _frames_ptr(self, plugin: LoadedPlugin, slot: _Slot, need: int) -> int:
        # Allocated once per thread and reused; a larger frame allocates again. ABI v1 has no free, so
        # an allocator may leak the smaller block: frame sizes change rarely within a render.
        if need > slot.frames_capacity:
            slot.frames_ptr = self._alloc(plugin, slot.instance, need)
            slot.frames_capacity = need
        return slot.frames_ptr

    def _alloc(self, plugin: LoadedPlugin, instance: PluginInstance, size: int) -> int:
        ptr = (
            instance.call("alloc", size, fuel=plugin.limits.base_fuel, what=f"allocating {size} bytes")
            & 0xFFFFFFFF
        )
        if ptr == 0 or ptr + size > instance.memory_bytes():
            raise PluginFault(
                plugin.id,
                f"could not allocate {size} bytes within its memory ceiling of "
                f"{plugin.limits.memory_bytes // WASM_PAGE} pages",
                reason="PLUGIN_MEMORY_LIMIT",
            )
        return ptr

    def _discard(self, plugin: LoadedPlugin) -> None:
        plugin._local.slot = None


def _check_frames(frames: Sequence[np.ndarray], out: np.ndarray | None) -> tuple[int, int]:
    first = frames[0]
    v: list[FieldViolation] = []
    for i, frame in enumerate(frames):
        if (
            not isinstance(frame, np.ndarray)
            or frame.dtype != np.uint8
            or frame.ndim != 3
            or frame.shape[2] != 4
        ):
            v.append(FieldViolation(f"frames[{i}]", "must be a uint8 RGBA array of shape (height, width, 4)"))
        elif frame.shape != first.shape:
            v.append(FieldViolation(f"frames[{i}]", f"must have the shape of frames[0] {first.shape}"))
        elif frame.shape[0] < 1 or frame.shape[1] < 1 or frame.shape[0] * frame.shape[1] > 2**26:
            v.append(FieldViolation(f"frames[{i}]", "must be 1x1 to 64 megapixels"))
    if out is not None and not v and (out.shape != first.shape or out.dtype != np.uint8):
        v.append(FieldViolation("out", f"must be a uint8 array of shape {first.shape}"))
    if v:
        raise InvalidArgument(f"bad frame for a plugin: {v[0].field}: {v[0].description}", field_violations=v)
    return int(first.shape[0]), int(first.shape[1])
