"""`plugin.toml`: what a plugin is, its parameter schema and the limits it asks for.

The params schema uses the same `Param` shape as the built-in effects, so ListEffects/ListTransitions and
timeline validation treat `plugin:<id>` exactly like a catalog effect.
"""

from __future__ import annotations

import enum
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument

from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.params import Param, ParamType

MANIFEST_NAME = "plugin.toml"
MAX_PARAMS = 32
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,31}$")
_MODULE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}\.(wasm|wat)$")
# Strings cannot cross ABI v1 (params are a blob of f64), so plugins get every param type but STRING.
_TYPES = {
    "number": ParamType.NUMBER,
    "integer": ParamType.INTEGER,
    "bool": ParamType.BOOL,
    "color": ParamType.COLOR,
    "choice": ParamType.CHOICE,
}


class PluginKind(enum.Enum):
    EFFECT = "effect"
    TRANSITION = "transition"


@dataclass(frozen=True)
class RequestedLimits:
    """What the plugin asks for; the host policy caps each value (see `policy.py`)."""

    fuel_per_pixel: float = 100.0
    memory_pages: int = 256  # 64 KiB pages: 16 MiB
    deadline_ms: int = 0  # 0: the operator's default


@dataclass(frozen=True)
class PluginManifest:
    id: str
    name: str
    version: str
    kind: PluginKind
    module: str
    description: str = ""
    category: str = "plugin"
    params: tuple[Param, ...] = ()
    limits: RequestedLimits = RequestedLimits()
    permissions: tuple[str, ...] = ()

    @property
    def type_name(self) -> str:
        """The effect/transition type timelines use: `plugin:<id>`."""
        return f"plugin:{self.id}"


def parse_manifest(text: str, where: str = "manifest") -> PluginManifest:
    """Parse and check a `plugin.toml`; every problem is reported at once as InvalidArgument."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(
            f"{MANIFEST_NAME} is not valid TOML: {exc}",
            reason="PLUGIN_MANIFEST_INVALID",
            field_violations=[FieldViolation(where, f"not valid TOML: {exc}")],
        ) from None
    v: list[FieldViolation] = []
    checker = _Checker(raw, where, v)
    plugin_id = checker.string("id", pattern=_ID, why="1-64 of a-z 0-9 _ . - starting with a letter or digit")
    name = checker.string("name", max_len=80)
    version = checker.string("version", max_len=32)
    kind_text = checker.string("kind", choices=[k.value for k in PluginKind])
    module = checker.string("module", pattern=_MODULE_NAME, why="a file name ending in .wasm or .wat")
    description = checker.string("description", required=False, max_len=500)
    category = checker.string("category", required=False, max_len=40) or "plugin"
    permissions = checker.string_list("permissions")
    limits = _limits(raw.get("limits", {}), f"{where}.limits", v)
    params = _params(raw.get("params", []), f"{where}.params", v)
    known = {"id", "name", "version", "kind", "module", "description", "category", "permissions"}
    known |= {"limits", "params"}
    for key in sorted(set(raw) - known):
        v.append(FieldViolation(f"{where}.{key}", "unknown key"))
    if v:
        raise InvalidArgument(
            f"{MANIFEST_NAME} has {len(v)} problem(s): {v[0].field}: {v[0].description}",
            reason="PLUGIN_MANIFEST_INVALID",
            field_violations=v,
        )
    return PluginManifest(
        id=plugin_id,
        name=name,
        version=version,
        kind=PluginKind(kind_text),
        module=module,
        description=description,
        category=category,
        params=params,
        limits=limits,
        permissions=permissions,
    )


class _Checker:
    def __init__(self, raw: Mapping[str, Any], where: str, v: list[FieldViolation]) -> None:
        self.raw, self.where, self.v = raw, where, v

    def string(
        self,
        key: str,
        *,
        required: bool = True,
        max_len: int = 200,
        pattern: re.Pattern[str] | None = None,
        why: str = "",
        choices: list[str] | None = None,
    ) -> str:
        value = self.raw.get(key)
        path = f"{self.where}.{key}"
        if value is None:
            if required:
                self.v.append(FieldViolation(path, "required"))
            return ""
        if not isinstance(value, str) or not value.strip():
            self.v.append(FieldViolation(path, "must be a non-empty string"))
            return ""
        if len(value) > max_len:
            self.v.append(FieldViolation(path, f"must be at most {max_len} characters"))
        elif pattern is not None and not pattern.match(value):
            self.v.append(FieldViolation(path, f"must be {why}"))
        elif choices is not None and value not in choices:
            self.v.append(FieldViolation(path, f"must be one of {', '.join(choices)}"))
        return value

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.v.append(FieldViolation(f"{self.where}.{key}", "must be a list of strings"))
            return ()
        return tuple(value)


def _limits(raw: Any, where: str, v: list[FieldViolation]) -> RequestedLimits:
    if not isinstance(raw, dict):
        v.append(FieldViolation(where, "must be a table"))
        return RequestedLimits()
    default = RequestedLimits()
    fuel = raw.get("fuel_per_pixel", default.fuel_per_pixel)
    pages = raw.get("memory_pages", default.memory_pages)
    deadline = raw.get("deadline_ms", default.deadline_ms)
    if not _is_number(fuel) or not 0 < float(fuel) <= 1_000_000:
        v.append(FieldViolation(f"{where}.fuel_per_pixel", "must be a number within (0, 1000000]"))
        fuel = default.fuel_per_pixel
    if not _is_int(pages) or not 1 <= pages <= 65536:
        v.append(FieldViolation(f"{where}.memory_pages", "must be a whole number within 1..65536"))
        pages = default.memory_pages
    if not _is_int(deadline) or not 0 <= deadline <= 600_000:
        v.append(FieldViolation(f"{where}.deadline_ms", "must be a whole number within 0..600000"))
        deadline = default.deadline_ms
    for key in sorted(set(raw) - {"fuel_per_pixel", "memory_pages", "deadline_ms"}):
        v.append(FieldViolation(f"{where}.{key}", "unknown key"))
    return RequestedLimits(float(fuel), int(pages), int(deadline))


def _params(raw: Any, where: str, v: list[FieldViolation]) -> tuple[Param, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        v.append(FieldViolation(where, "must be an array of tables ([[params]])"))
        return ()
    if len(raw) > MAX_PARAMS:
        v.append(FieldViolation(where, f"at most {MAX_PARAMS} params"))
        return ()
    out: list[Param] = []
    seen: set[str] = set()
    for i, p in enumerate(raw):
        param = _param(p, f"{where}[{i}]", v)
        if param is None:
            continue
        if param.name in seen:
            v.append(FieldViolation(f"{where}[{i}].name", f"duplicate parameter {param.name!r}"))
            continue
        seen.add(param.name)
        out.append(param)
    return tuple(out)


def _param(p: Mapping[str, Any], where: str, v: list[FieldViolation]) -> Param | None:
    before = len(v)
    name = p.get("name")
    if not isinstance(name, str) or not _PARAM_NAME.match(name):
        v.append(FieldViolation(f"{where}.name", "must be 1-32 of a-z 0-9 _ starting with a letter or _"))
    type_text = p.get("type", "number")
    ptype = _TYPES.get(type_text) if isinstance(type_text, str) else None
    if ptype is None:
        v.append(FieldViolation(f"{where}.type", f"must be one of {', '.join(_TYPES)}"))
    unknown = set(p) - {"name", "type", "min", "max", "default", "description", "choices"}
    for key in sorted(unknown):
        v.append(FieldViolation(f"{where}.{key}", "unknown key"))
    if len(v) > before or ptype is None or not isinstance(name, str):
        return None
    description = str(p.get("description", ""))
    if ptype in (ParamType.NUMBER, ParamType.INTEGER):
        lo, hi, default = p.get("min", 0.0), p.get("max", 1.0), p.get("default", p.get("min", 0.0))
        check = _is_int if ptype is ParamType.INTEGER else _is_number
        for key, value in (("min", lo), ("max", hi), ("default", default)):
            if not check(value):
                kind = "a whole number" if ptype is ParamType.INTEGER else "a finite number"
                v.append(FieldViolation(f"{where}.{key}", f"must be {kind}"))
        if len(v) > before:
            return None
        if lo > hi:
            v.append(FieldViolation(f"{where}.min", "must not exceed max"))
        elif not lo <= default <= hi:
            v.append(FieldViolation(f"{where}.default", f"must be within {lo:g}..{hi:g}"))
        return Param(name, ptype, float(lo), float(hi), default, description)
    if ptype is ParamType.BOOL:
        default = p.get("default", False)
        if not isinstance(default, bool):
            v.append(FieldViolation(f"{where}.default", "must be true or false"))
        return Param(name, ptype, 0.0, 1.0, default, description)
    if ptype is ParamType.COLOR:
        default = p.get("default", "#000000")
        if not isinstance(default, str) or parse_color(default) is None:
            v.append(FieldViolation(f"{where}.default", "must be a colour like #rrggbb"))
        return Param(name, ptype, 0.0, 0.0, default, description)
    choices = p.get("choices")
    if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
        v.append(FieldViolation(f"{where}.choices", "must be a non-empty list of strings"))
        return None
    default = p.get("default", choices[0])
    if default not in choices:
        v.append(FieldViolation(f"{where}.default", "must be one of the choices"))
    return Param(name, ptype, 0.0, float(len(choices) - 1), default, description, tuple(choices))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
