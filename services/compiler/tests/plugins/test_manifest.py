"""Unit tests of the manifest parser and the ABI params blob (pure Python, no wasmtime)."""

from __future__ import annotations

import struct

import pytest
from svckit.errors import InvalidArgument
from tstudio_compiler.domain.params import ParamType
from tstudio_compiler.plugins import PluginKind, parse_manifest
from tstudio_compiler.plugins.abi import encode_params
from tstudio_compiler.plugins.policy import WASM_PAGE, HostPolicy, effective_limits

FULL = """
id = "look.warm-1"
name = "Warm look"
version = "2.1.0"
kind = "effect"
module = "warm.wasm"
category = "color"
permissions = []

[limits]
fuel_per_pixel = 50
memory_pages = 64

[[params]]
name = "amount"
type = "number"
min = -1.0
max = 1.0
default = 0.25

[[params]]
name = "steps"
type = "integer"
min = 1
max = 16
default = 4

[[params]]
name = "mono"
type = "bool"
default = true

[[params]]
name = "tint"
type = "color"
default = "#ff8000"

[[params]]
name = "mode"
type = "choice"
choices = ["soft", "hard"]
default = "hard"
"""


def test_full_manifest_parses_into_builtin_shaped_params() -> None:
    m = parse_manifest(FULL)
    assert (m.id, m.kind, m.type_name, m.module) == (
        "look.warm-1",
        PluginKind.EFFECT,
        "plugin:look.warm-1",
        "warm.wasm",
    )
    assert [p.type for p in m.params] == [
        ParamType.NUMBER,
        ParamType.INTEGER,
        ParamType.BOOL,
        ParamType.COLOR,
        ParamType.CHOICE,
    ]
    assert (m.params[0].min, m.params[0].max, m.params[0].default) == (-1.0, 1.0, 0.25)
    assert m.limits.fuel_per_pixel == 50 and m.limits.memory_pages == 64
    assert m.permissions == ()


def test_params_blob_is_one_f64_per_param_in_manifest_order() -> None:
    m = parse_manifest(FULL)
    values = {"amount": -0.5, "steps": 3, "mono": False, "tint": "#102030", "mode": "hard"}
    blob = encode_params(m.params, values)
    assert struct.unpack("<5d", blob) == (-0.5, 3.0, 0.0, float(0x102030FF), 1.0)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("id = [", "manifest"),
        (FULL.replace('id = "look.warm-1"', 'id = "../../etc"'), "manifest.id"),
        (FULL.replace('id = "look.warm-1"', ""), "manifest.id"),
        (FULL.replace('kind = "effect"', 'kind = "filter"'), "manifest.kind"),
        (FULL.replace('module = "warm.wasm"', 'module = "../warm.wasm"'), "manifest.module"),
        (FULL.replace('module = "warm.wasm"', 'module = "warm.so"'), "manifest.module"),
        (FULL.replace("default = 0.25", "default = 3.0"), "manifest.params[0].default"),
        (FULL.replace("min = 1\n", "min = 1.5\n"), "manifest.params[1].min"),
        (FULL.replace('default = "#ff8000"', 'default = "warm"'), "manifest.params[3].default"),
        (FULL.replace('default = "hard"', 'default = "medium"'), "manifest.params[4].default"),
        (FULL.replace('type = "bool"', 'type = "string"'), "manifest.params[2].type"),
        (FULL.replace('name = "steps"', 'name = "amount"'), "manifest.params[1].name"),
        (FULL.replace("memory_pages = 64", "memory_pages = 0"), "manifest.limits.memory_pages"),
        (FULL.replace("fuel_per_pixel = 50", "fuel_per_pixel = -1"), "manifest.limits.fuel_per_pixel"),
        ("entry = 'main'\n" + FULL, "manifest.entry"),
    ],
)
def test_bad_manifests_name_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_manifest(text)
    assert field in {v.field for v in caught.value.details.field_violations}


def test_requested_limits_are_capped_by_the_operator() -> None:
    m = parse_manifest(FULL.replace("memory_pages = 64", "memory_pages = 4096\ndeadline_ms = 90000"))
    limits = effective_limits(m, HostPolicy(max_memory_pages=128, deadline_ms=1000, epoch_tick_ms=10))
    assert limits.memory_bytes == 128 * WASM_PAGE
    assert limits.deadline_ticks == 101  # 1000 ms of 10 ms ticks, plus the tick already running
    assert limits.fuel_for(100) == HostPolicy().base_fuel + 50 * 100
