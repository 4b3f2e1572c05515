"""Plugin ABI v1: the exports a module must have, the imports it may have, and the params blob.

Pure Python: the wasmtime adapter describes a module as `ModuleShape` (imports/exports with their
wasm types as strings) and this module decides whether the host can run it. See docs/plugins.md.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument, PermissionDenied

from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.params import Param, ParamType, check_params, resolve
from tstudio_compiler.plugins.manifest import PluginKind

ABI_VERSION = 1
HOST_MODULE = "tstudio"

# A function type as (params, results), with wasm value types as their text names.
FuncSig = tuple[tuple[str, ...], tuple[str, ...]]

HOST_FUNCS: dict[str, FuncSig] = {
    "log": (("i32", "i32"), ()),  # (utf8_ptr, len): one line in the compiler's log, rate-limited
    "abort": (("i32", "i32"), ()),  # (utf8_ptr, len): fail this call with the plugin's message
}

COMMON_EXPORTS: dict[str, FuncSig] = {
    "abi_version": ((), ("i32",)),
    "alloc": (("i32",), ("i32",)),
}
KIND_EXPORTS: dict[PluginKind, tuple[str, FuncSig]] = {
    # (frame_ptr, width, height, stride, time_s, params_ptr, params_len) -> status (0 = ok)
    PluginKind.EFFECT: ("effect_apply", (("i32", "i32", "i32", "i32", "f64", "i32", "i32"), ("i32",))),
    # (a_ptr, b_ptr, width, height, stride, progress, params_ptr, params_len) -> status; result in a
    PluginKind.TRANSITION: (
        "transition_apply",
        (("i32", "i32", "i32", "i32", "i32", "f64", "i32", "i32"), ("i32",)),
    ),
}

WASI_MODULE = "wasi_snapshot_preview1"
# WASI functions a permission grants. File system, sockets, environment and process control are
# never grantable: the sandbox has nothing to open and a plugin has no business with the host.
WASI_PERMISSIONS: dict[str, frozenset[str]] = {
    "wasi:clocks": frozenset({"clock_time_get", "clock_res_get"}),
    "wasi:random": frozenset({"random_get"}),
}


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    kind: str  # "func", "memory", "table", "global"
    sig: FuncSig | None = None


@dataclass(frozen=True)
class Export:
    name: str
    kind: str
    sig: FuncSig | None = None


@dataclass(frozen=True)
class ModuleShape:
    imports: tuple[Import, ...]
    exports: tuple[Export, ...]


def check_permissions(requested: Sequence[str], allowed: Sequence[str], where: str = "manifest") -> None:
    """Unknown permissions are InvalidArgument; known ones the operator did not allow, PermissionDenied."""
    unknown = [p for p in requested if p not in WASI_PERMISSIONS]
    if unknown:
        raise InvalidArgument(
            f"unknown plugin permission {unknown[0]!r}",
            reason="PLUGIN_PERMISSION_UNKNOWN",
            field_violations=[
                FieldViolation(
                    f"{where}.permissions", f"unknown {p!r} (known: {', '.join(WASI_PERMISSIONS)})"
                )
                for p in unknown
            ],
        )
    refused = [p for p in requested if p not in allowed]
    if refused:
        raise PermissionDenied(
            f"the operator does not allow plugin permission {refused[0]!r}",
            reason="PLUGIN_PERMISSION_REFUSED",
            metadata={"permissions": ",".join(refused)},
        )


def check_module(shape: ModuleShape, kind: PluginKind, granted: Sequence[str], where: str = "module") -> None:
    """Refuse a module the host cannot run safely: missing/mistyped exports, forbidden imports."""
    v: list[FieldViolation] = []
    wasi_allowed = frozenset().union(*(WASI_PERMISSIONS[p] for p in granted if p in WASI_PERMISSIONS))
    for i, imp in enumerate(shape.imports):
        why = _import_problem(imp, wasi_allowed)
        if why:
            v.append(FieldViolation(f"{where}.imports[{i}]", f"{imp.module}.{imp.name}: {why}"))
    exports = {e.name: e for e in shape.exports}
    memory = exports.get("memory")
    if memory is None or memory.kind != "memory":
        v.append(FieldViolation(f"{where}.exports.memory", "the module must export its memory as `memory`"))
    entry, entry_sig = KIND_EXPORTS[kind]
    for name, sig in (*COMMON_EXPORTS.items(), (entry, entry_sig)):
        exp = exports.get(name)
        if exp is None or exp.kind != "func":
            v.append(FieldViolation(f"{where}.exports.{name}", f"a {kind.value} plugin must export {name}"))
        elif exp.sig != sig:
            v.append(
                FieldViolation(
                    f"{where}.exports.{name}", f"must have type {_sig_text(sig)}, not {_sig_text(exp.sig)}"
                )
            )
    if v:
        raise InvalidArgument(
            f"the module cannot be a {kind.value} plugin: {v[0].field}: {v[0].description}",
            reason="PLUGIN_MODULE_REJECTED",
            field_violations=v,
        )


def check_abi_version(version: int, where: str = "module.exports.abi_version") -> None:
    if version != ABI_VERSION:
        raise InvalidArgument(
            f"the module speaks plugin ABI {version}; this host speaks {ABI_VERSION}",
            reason="PLUGIN_ABI_UNSUPPORTED",
            field_violations=[FieldViolation(where, f"returned {version}, the host supports {ABI_VERSION}")],
        )


def _import_problem(imp: Import, wasi_allowed: frozenset[str]) -> str:
    if imp.module == HOST_MODULE:
        want = HOST_FUNCS.get(imp.name)
        if want is None:
            return f"the host API has only {', '.join(HOST_FUNCS)}"
        if imp.kind != "func" or imp.sig != want:
            return f"must be a function of type {_sig_text(want)}"
        return ""
    if imp.module == WASI_MODULE:
        if imp.name in wasi_allowed:
            return ""
        return "WASI is not available to plugins (no files, sockets, environment or processes)"
    if imp.module.startswith("wasi"):
        return "WASI is not available to plugins"
    return f"unknown import module (plugins may import only from {HOST_MODULE!r})"


def _sig_text(sig: FuncSig | None) -> str:
    if sig is None:
        return "not a function"
    params, results = sig
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def check_param_values(
    schema: Sequence[Param], given: Mapping[str, Any], where: str = "params"
) -> dict[str, Any]:
    """The resolved values (defaults filled in), or InvalidArgument naming each bad field."""
    problems = check_params(schema, given, where)
    if problems:
        raise InvalidArgument(
            f"invalid plugin params: {problems[0][0]}: {problems[0][1]}",
            field_violations=[FieldViolation(f, why) for f, why in problems],
        )
    return resolve(schema, given)


def encode_params(schema: Sequence[Param], values: Mapping[str, Any]) -> bytes:
    """ABI v1 params blob: one little-endian f64 per schema param, in manifest order.

    bool → 0/1, colour → 0xRRGGBBAA as a number (exact in f64), choice → its index.
    """
    out: list[float] = []
    for p in schema:
        value = values[p.name]
        if p.type is ParamType.BOOL:
            out.append(1.0 if value else 0.0)
        elif p.type is ParamType.COLOR:
            rgba = parse_color(str(value)) or (0, 0, 0, 255)
            out.append(float((rgba[0] << 24) | (rgba[1] << 16) | (rgba[2] << 8) | rgba[3]))
        elif p.type is ParamType.CHOICE:
            out.append(float(p.choices.index(value)))
        else:
            out.append(float(value))
    return struct.pack(f"<{len(out)}d", *out)
