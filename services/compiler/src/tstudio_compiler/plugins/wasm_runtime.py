"""The wasmtime adapter: one engine with fuel and epoch interruption, module compilation and
inspection, and sandboxed instances with a fast typed call path and a numpy view of their memory.

Library errors and traps become svckit errors here (InvalidArgument for bad modules, PluginFault for
anything a plugin does wrong while running), so nothing above this module sees wasmtime types.

Calls go through `wasmtime_func_call_unchecked` on preallocated argument arrays instead of
`Func.__call__`, which re-reads the function type and converts values on every call (~1 ms here);
signatures are checked once at install, which is what makes the unchecked call safe. Host functions
never raise: wasmtime-py parks a raising callback's exception in a process-global, which another thread
could pick up; `abort` instead records its message and drains the store's fuel, so the plugin traps at
its next instruction.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import wasmtime
from svckit.errors import FieldViolation, InvalidArgument
from wasmtime import _bindings as ffi

from tstudio_compiler.plugins.abi import (
    COMMON_EXPORTS,
    HOST_MODULE,
    KIND_EXPORTS,
    WASI_MODULE,
    Export,
    FuncSig,
    Import,
    ModuleShape,
)
from tstudio_compiler.plugins.errors import PluginFault
from tstudio_compiler.plugins.policy import WASM_PAGE, EffectiveLimits

log = logging.getLogger(__name__)

_WASM_MAGIC = b"\0asm"
# The only exports the host ever calls (their signatures were checked at install).
CALLED_EXPORTS = frozenset(COMMON_EXPORTS) | {name for name, _ in KIND_EXPORTS.values()}
_MAX_LOG_BYTES = 1024


@dataclass(frozen=True)
class CompiledModule:
    module: wasmtime.Module
    shape: ModuleShape
    wasm_bytes: int


class EpochTicker:
    """Advances the engine's epoch every `tick_ms`; a call's deadline is a number of ticks."""

    def __init__(self, engine: wasmtime.Engine, tick_ms: int) -> None:
        self._engine = engine
        self._interval = tick_ms / 1000
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wasm-epoch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._engine.increment_epoch()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


class WasmRuntime:
    """One wasmtime engine for every plugin: compiled modules are shareable across threads."""

    def __init__(self, epoch_tick_ms: int) -> None:
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        config.cranelift_opt_level = "speed"
        # Shared memories and threads would let a plugin outlive its call; plugins are single-threaded.
        config.wasm_threads = False
        # Linear memories stay where they are when they grow (they sit in a 4 GiB reservation), so a
        # numpy view handed to a caller never points at memory that moved away.
        config.memory_may_move = False
        self.engine = wasmtime.Engine(config)
        self._ticker = EpochTicker(self.engine, epoch_tick_ms)

    def close(self) -> None:
        self._ticker.close()

    def compile(self, data: bytes, filename: str, where: str = "module") -> CompiledModule:
        """Compile `.wasm` bytes or `.wat` text; anything malformed is InvalidArgument."""
        if filename.endswith(".wat"):
            try:
                wasm = bytes(wasmtime.wat2wasm(data.decode("utf-8")))
            except (UnicodeDecodeError, wasmtime.WasmtimeError) as exc:
                raise _bad_module(where, f"not valid WebAssembly text: {_first_line(exc)}") from None
        else:
            if not data.startswith(_WASM_MAGIC):
                raise _bad_module(where, "not a WebAssembly module (no \\0asm header)")
            wasm = data
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as exc:
            raise _bad_module(where, f"not a valid WebAssembly module: {_first_line(exc)}") from None
        return CompiledModule(module, _shape(module), len(wasm))

    def instantiate(
        self, compiled: CompiledModule, plugin_id: str, limits: EffectiveLimits, max_log_lines: int
    ) -> PluginInstance:
        return PluginInstance(self.engine, compiled, plugin_id, limits, max_log_lines)


class _FastFunc:
    """A typed export called through the unchecked C entry point with a reused argument array."""

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, sig: FuncSig) -> None:
        self._context = store._context()
        self._func = ctypes.byref(func._func)
        params, results = sig
        self._kinds = params
        self._slots = max(len(params), len(results), 1)
        self._values = (ffi.wasmtime_val_raw * self._slots)()

    def __call__(self, *args: float) -> int:
        values = self._values
        for i, (kind, arg) in enumerate(zip(self._kinds, args, strict=True)):
            if kind == "f64":
                values[i].f64 = arg
            else:
                values[i].i32 = int(arg)
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_func_call_unchecked(
            self._context, self._func, values, self._slots, ctypes.byref(trap)
        )
        if trap:
            raise wasmtime.Trap._from_ptr(trap)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
        return int(values[0].i32)


class PluginInstance:
    """One instantiated plugin with its own store: use it from one thread only (the pool sees to that)."""

    def __init__(
        self,
        engine: wasmtime.Engine,
        compiled: CompiledModule,
        plugin_id: str,
        limits: EffectiveLimits,
        max_log_lines: int,
    ) -> None:
        self.plugin_id = plugin_id
        self.limits = limits
        self.aborted = ""
        self.last_fuel_used = 0
        self._max_log_lines = max_log_lines
        self._log_lines = 0
        self.store = wasmtime.Store(engine)
        self.store.set_limits(
            memory_size=limits.memory_bytes, table_elements=100_000, instances=1, tables=4, memories=1
        )
        linker = wasmtime.Linker(engine)
        unit = wasmtime.FuncType([wasmtime.ValType.i32(), wasmtime.ValType.i32()], [])
        # wasmtime-py keeps host callbacks in a process-global table until the store is deleted, so
        # they must not hold the instance (which owns the store): that cycle would never be freed.
        me = weakref.ref(self)
        linker.define_func(
            HOST_MODULE, "log", unit, functools.partial(_host_call, me, "_host_log"), access_caller=True
        )
        linker.define_func(
            HOST_MODULE, "abort", unit, functools.partial(_host_call, me, "_host_abort"), access_caller=True
        )
        if any(imp.module == WASI_MODULE for imp in compiled.shape.imports):
            # Only the functions its permissions grant were let through at install; the WASI context
            # itself has no preopened directories, no environment, no arguments and no stdio.
            linker.define_wasi()
            self.store.set_wasi(wasmtime.WasiConfig())
        self.store.set_fuel(limits.base_fuel)
        self.store.set_epoch_deadline(limits.deadline_ticks)
        try:
            instance = linker.instantiate(self.store, compiled.module)
        except wasmtime.Trap as exc:
            raise self._fault(exc, "instantiating", limits.base_fuel) from None
        except wasmtime.WasmtimeError as exc:
            raise PluginFault(
                plugin_id,
                f"cannot be instantiated within its limits: {_first_line(exc)}",
                reason="PLUGIN_INSTANTIATION_FAILED",
            ) from None
        exports = instance.exports(self.store)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        self._funcs: dict[str, _FastFunc] = {}
        for export in compiled.shape.exports:
            func = exports[export.name]
            if export.name in CALLED_EXPORTS and export.sig is not None and isinstance(func, wasmtime.Func):
                self._funcs[export.name] = _FastFunc(self.store, func, export.sig)
        self._view_len = -1
        self._view = np.empty(0, np.uint8)

    def call(self, name: str, *args: float, fuel: int, what: str) -> int:
        """Run one export under `fuel` and the epoch deadline; a trap becomes PluginFault."""
        self.aborted = ""
        self._log_lines = 0
        store = self.store
        store.set_fuel(fuel)
        store.set_epoch_deadline(self.limits.deadline_ticks)
        try:
            return self._funcs[name](*args)
        except wasmtime.Trap as exc:
            raise self._fault(exc, what, fuel) from None
        except wasmtime.WasmtimeError as exc:
            raise PluginFault(self.plugin_id, f"failed while {what}: {_first_line(exc)}") from None
        finally:
            self.last_fuel_used = fuel - store.get_fuel()

    def memory_view(self) -> np.ndarray:
        """A uint8 numpy view of the whole linear memory (re-made only when the memory has grown)."""
        length = self.memory.data_len(self.store)
        if length != self._view_len:
            address = ctypes.addressof(self.memory.data_ptr(self.store).contents)
            raw = (ctypes.c_ubyte * length).from_address(address)
            self._view = np.frombuffer(memoryview(raw).cast("B"), dtype=np.uint8)
            self._view_len = length
        return self._view

    def outside_view(self, start: int, nbytes: int) -> np.ndarray:
        """A read-only view of `nbytes` at `start` for a caller to keep: it holds this instance (whose
        store owns the memory) alive, even after the pool has dropped it."""
        if start < 0 or start + nbytes > self.memory_bytes():
            raise ValueError("view outside the plugin's memory")
        address = ctypes.addressof(self.memory.data_ptr(self.store).contents) + start
        raw = (ctypes.c_ubyte * nbytes).from_address(address)
        raw.owner = self  # type: ignore[attr-defined]
        view = np.frombuffer(memoryview(raw).cast("B"), dtype=np.uint8)
        view.flags.writeable = False
        return view

    def memory_bytes(self) -> int:
        return self.memory.data_len(self.store)

    def _fault(self, exc: wasmtime.Trap, what: str, budget: int) -> PluginFault:
        code = exc.trap_code
        detail = _first_line(exc)
        if self.aborted:
            return PluginFault(
                self.plugin_id, f"aborted while {what}: {self.aborted}", reason="PLUGIN_ABORTED"
            )
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            return PluginFault(
                self.plugin_id,
                f"ran out of fuel while {what} (its budget was {budget} units)",
                reason="PLUGIN_OUT_OF_FUEL",
                detail=detail,
            )
        if code == wasmtime.TrapCode.INTERRUPT:
            return PluginFault(
                self.plugin_id,
                f"ran past its deadline while {what}",
                reason="PLUGIN_DEADLINE_EXCEEDED",
                detail=detail,
            )
        pages, ceiling = self.memory_bytes() // WASM_PAGE, self.limits.memory_bytes // WASM_PAGE
        if pages >= ceiling:
            # A trap with the memory full is almost always an allocation that could not grow it.
            return PluginFault(
                self.plugin_id,
                f"trapped at its memory ceiling of {ceiling} pages while {what}: {_trap_name(code)}",
                reason="PLUGIN_MEMORY_LIMIT",
                detail=detail,
            )
        return PluginFault(
            self.plugin_id,
            f"trapped while {what}: {_trap_name(code)} (memory {pages} of {ceiling} pages)",
            detail=detail,
        )

    def _read_text(self, caller: wasmtime.Caller, ptr: int, length: int) -> str:
        memory = caller["memory"]
        if not isinstance(memory, wasmtime.Memory) or ptr < 0 or length < 0:
            return ""
        end = min(ptr + min(length, _MAX_LOG_BYTES), memory.data_len(caller))
        if end <= ptr:
            return ""
        return bytes(memory.read(caller, ptr, end)).decode("utf-8", "replace")

    def _host_log(self, caller: wasmtime.Caller, ptr: int, length: int) -> None:
        try:
            self._log_lines += 1
            if self._log_lines <= self._max_log_lines:
                log.info("plugin %s: %s", self.plugin_id, self._read_text(caller, ptr, length))
        except Exception:  # a host function must never raise (see the module docstring)
            log.exception("plugin %s: log failed", self.plugin_id)

    def _host_abort(self, caller: wasmtime.Caller, ptr: int, length: int) -> None:
        try:
            self.aborted = self._read_text(caller, ptr, length) or "(no message)"
            ffi.wasmtime_context_set_fuel(caller._context(), 0)
        except Exception:
            log.exception("plugin %s: abort failed", self.plugin_id)


def _host_call(
    instance: weakref.ref[PluginInstance], method: str, caller: wasmtime.Caller, *args: int
) -> None:
    target = instance()
    if target is not None:
        getattr(target, method)(caller, *args)


def _shape(module: wasmtime.Module) -> ModuleShape:
    imports = tuple(Import(i.module, i.name or "", _kind(i.type), _sig(i.type)) for i in module.imports)
    exports = tuple(Export(e.name, _kind(e.type), _sig(e.type)) for e in module.exports)
    return ModuleShape(imports, exports)


def _kind(ty: object) -> str:
    return {
        wasmtime.FuncType: "func",
        wasmtime.MemoryType: "memory",
        wasmtime.TableType: "table",
        wasmtime.GlobalType: "global",
    }.get(type(ty), "other")


def _sig(ty: object) -> FuncSig | None:
    if not isinstance(ty, wasmtime.FuncType):
        return None
    return tuple(str(p) for p in ty.params), tuple(str(r) for r in ty.results)


def _trap_name(code: wasmtime.TrapCode | None) -> str:
    return code.name.lower().replace("_", " ") if code is not None else "trap"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc)
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__


def _bad_module(where: str, why: str) -> InvalidArgument:
    return InvalidArgument(why, reason="PLUGIN_MODULE_INVALID", field_violations=[FieldViolation(where, why)])


__all__: Sequence[str] = ("CompiledModule", "PluginInstance", "WasmRuntime")
