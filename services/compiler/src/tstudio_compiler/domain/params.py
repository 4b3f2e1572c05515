"""Parameter schemas of effects and transitions, and checking a clip's params against them."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from svckit.did_you_mean import suggestion

from tstudio_compiler.domain.colors import parse_color


class ParamType(enum.Enum):
    NUMBER = 1
    INTEGER = 2
    BOOL = 3
    COLOR = 4
    STRING = 5
    CHOICE = 6


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType = ParamType.NUMBER
    min: float = 0.0
    max: float = 1.0
    default: Any = 0.0
    description: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)


def number(name: str, lo: float, hi: float, default: float, description: str = "") -> Param:
    return Param(name, ParamType.NUMBER, lo, hi, default, description)


def color(name: str, default: str, description: str = "") -> Param:
    return Param(name, ParamType.COLOR, 0, 0, default, description)


def check_params(schema: Sequence[Param], given: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    """Violations as (field path, why): unknown names, wrong types, values out of range."""
    known = {p.name: p for p in schema}
    problems: list[tuple[str, str]] = []
    for name, value in given.items():
        where = f"{path}.{name}"
        param = known.get(name)
        if param is None:
            allowed = ", ".join(sorted(known)) or "none"
            problems.append((where, f"unknown parameter{suggestion(name, known)} (allowed: {allowed})"))
            continue
        why = _check_value(param, value)
        if why:
            problems.append((where, why))
    return problems


def _check_value(param: Param, value: Any) -> str:
    if param.type in (ParamType.NUMBER, ParamType.INTEGER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if param.type is ParamType.INTEGER and float(value) != int(value):
            return "must be a whole number"
        if not param.min <= float(value) <= param.max:
            return f"must be within {param.min:g}..{param.max:g}"
    elif param.type is ParamType.BOOL:
        if not isinstance(value, bool):
            return "must be true or false"
    elif param.type is ParamType.COLOR:
        if not isinstance(value, str) or parse_color(value) is None:
            return "must be a colour like #rrggbb"
    elif param.type is ParamType.CHOICE:
        if value not in param.choices:
            return f"must be one of {', '.join(param.choices)}"
    elif not isinstance(value, str):
        return "must be a string"
    return ""


def resolve(schema: Sequence[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Given values over the defaults (call after `check_params` found nothing)."""
    values = {p.name: p.default for p in schema}
    values.update({k: v for k, v in given.items() if k in values})
    return values
