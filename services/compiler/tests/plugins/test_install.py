"""Installing plugins: what is refused (and why, with field paths), persistence, catalog entries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from svckit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from tstudio_compiler.domain.effects import EffectCatalog, builtin_effects
from tstudio_compiler.plugins import HostPolicy, PluginMetrics, PluginRegistry

from .conftest import EXAMPLES, effect_wat, manifest, random_frame

GOOD = effect_wat("(i32.const 0)")
WASI_CLOCK = (
    '(import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))'
)


def violations(exc: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in exc.value.details.field_violations}


def with_import(line: str) -> str:
    return GOOD.replace("(module ", f"(module {line} ", 1)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))', "WASI"),
        ('(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))', "WASI"),
        (
            '(import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))',
            "WASI",
        ),
        ('(import "wasi:filesystem/types" "read" (func))', "WASI"),
        ('(import "env" "system" (func (param i32) (result i32)))', "unknown import module"),
        ('(import "tstudio" "exec" (func))', "host API has only"),
        ('(import "tstudio" "log" (func (param i64)))', "must be a function of type"),
    ],
)
def test_forbidden_imports_are_refused_at_install(registry: PluginRegistry, line: str, words: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("sneaky"), with_import(line).encode())
    assert caught.value.reason == "PLUGIN_MODULE_REJECTED"
    found = violations(caught)
    assert any(field.startswith("module.imports[") and words in why for field, why in found.items()), found
    assert registry.list_plugins() == []


def test_wasi_clock_needs_the_manifest_permission_and_the_operator(registry: PluginRegistry) -> None:
    module = with_import(WASI_CLOCK).encode()
    with pytest.raises(InvalidArgument):  # no permission asked for
        registry.install(manifest("clock"), module)
    asking = manifest("clock", extra='permissions = ["wasi:clocks"]\n')
    with pytest.raises(PermissionDenied):  # asked, but the operator allows nothing
        registry.install(asking, module)
    generous = PluginRegistry(None, HostPolicy(allowed_permissions=("wasi:clocks",)))
    try:
        generous.install(asking, module)
        generous.apply_effect("clock", random_frame(4, 4), 0.0)
    finally:
        generous.close()


def test_unknown_permission_is_invalid(registry: PluginRegistry) -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("p", extra='permissions = ["net"]\n'), GOOD.encode())
    assert "manifest.permissions" in violations(caught)


@pytest.mark.parametrize(
    ("module", "field"),
    [
        (GOOD.replace('(export "effect_apply")', ""), "module.exports.effect_apply"),
        (GOOD.replace('(export "alloc")', ""), "module.exports.alloc"),
        (GOOD.replace('(memory (export "memory") 1)', "(memory 1)"), "module.exports.memory"),
        (GOOD.replace("(param $t f64)", "(param $t f32)"), "module.exports.effect_apply"),
    ],
)
def test_missing_or_mistyped_exports_are_refused(registry: PluginRegistry, module: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("broken"), module.encode())
    assert field in violations(caught)


def test_an_effect_module_is_not_a_transition(registry: PluginRegistry) -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("t", kind="transition"), GOOD.encode())
    assert "module.exports.transition_apply" in violations(caught)


def test_other_abi_versions_are_refused(registry: PluginRegistry) -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("future"), effect_wat("(i32.const 0)", abi=2).encode())
    assert caught.value.reason == "PLUGIN_ABI_UNSUPPORTED"
    assert "ABI 2" in caught.value.message


def test_truncated_and_non_wasm_bytes_are_invalid(registry: PluginRegistry) -> None:
    wasm = (EXAMPLES / "blur" / "blur.wasm").read_bytes()
    for data in (
        wasm[: len(wasm) // 2],
        wasm[:6],
        b"",
        b"MZ\x90\x00 not wasm at all",
        b"\0asm\x01\0\0\0\xff\xff",
    ):
        with pytest.raises(InvalidArgument) as caught:
            registry.install(manifest("junk", module="junk.wasm"), data)
        assert caught.value.reason == "PLUGIN_MODULE_INVALID", data[:12]
        assert "module" in violations(caught)


def test_bad_wat_text_is_invalid(registry: PluginRegistry) -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("junk"), b"(module (func $oops")
    assert caught.value.reason == "PLUGIN_MODULE_INVALID"
    with pytest.raises(InvalidArgument):
        registry.install(manifest("junk"), b"\xff\xfe\x00binary")


def test_oversized_module_is_refused(registry: PluginRegistry) -> None:
    huge = b"\0asm\x01\0\0\0" + bytes(registry.policy.max_module_bytes)
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("huge", module="huge.wasm"), huge)
    assert caught.value.reason == "PLUGIN_TOO_LARGE"


def test_module_that_loops_at_start_is_refused(registry: PluginRegistry) -> None:
    module = effect_wat("(i32.const 0)", extra="(func $boot (loop $l (br $l))) (start $boot)")
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("boot"), module.encode())
    assert caught.value.reason == "PLUGIN_TRIAL_FAILED"
    assert "out of fuel" in caught.value.message


def test_module_whose_initial_memory_exceeds_the_ceiling_is_refused(registry: PluginRegistry) -> None:
    module = GOOD.replace('(memory (export "memory") 1)', '(memory (export "memory") 500)')
    with pytest.raises(InvalidArgument) as caught:
        registry.install(manifest("fat"), module.encode())
    assert caught.value.reason == "PLUGIN_TRIAL_FAILED"


def test_duplicate_install_needs_replace(registry: PluginRegistry) -> None:
    registry.install(manifest("dup"), GOOD.encode())
    with pytest.raises(AlreadyExists):
        registry.install(manifest("dup"), GOOD.encode())
    registry.install(
        manifest("dup").replace('version = "0.1.0"', 'version = "0.2.0"'), GOOD.encode(), replace=True
    )
    assert registry.get("dup").manifest.version == "0.2.0"


def test_installed_plugins_persist_and_load_at_start(tmp_path: Path, policy: HostPolicy) -> None:
    first = PluginRegistry(tmp_path, policy)
    first.load_dir(EXAMPLES / "invert")
    first.load_dir(EXAMPLES / "blur")
    first.install(manifest("gone"), GOOD.encode())
    first.remove("gone")
    first.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blur", "invert"]
    # A crash mid-install leaves a hidden staging folder; a damaged plugin folder is skipped, not fatal.
    (tmp_path / ".tmp-half-abc").mkdir()
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "plugin.toml").write_text("id = [")
    second = PluginRegistry(tmp_path, policy)
    try:
        assert second.load_installed() == ["blur", "invert"]
        assert not (tmp_path / ".tmp-half-abc").exists()
        frame = random_frame(10, 12)
        np.testing.assert_array_equal(
            second.apply_effect("invert", frame, 0.0)[..., :3], 255 - frame[..., :3]
        )
    finally:
        second.close()


def test_remove_unknown_plugin_is_not_found(registry: PluginRegistry) -> None:
    with pytest.raises(NotFound):
        registry.remove("nope")
    with pytest.raises(NotFound):
        registry.apply_effect("nope", random_frame(2, 2), 0.0)


def test_plugins_appear_in_the_effect_catalog_like_builtins(examples: PluginRegistry) -> None:
    catalog = EffectCatalog(builtin_effects(), [examples])
    blur = catalog.get("plugin:blur")
    assert blur is not None and blur.origin == "plugin" and blur.build is None
    assert [p.name for p in blur.params] == ["radius"]
    assert catalog.get("plugin:crossfade") is None  # a transition, not an effect
    assert [t.type for t in examples.transitions()] == ["plugin:crossfade"]


def test_params_are_checked_with_field_paths(examples: PluginRegistry) -> None:
    where = "tracks[0].clips[1].effects[0].params"
    with pytest.raises(InvalidArgument) as caught:
        examples.check_params("vignette", {"strength": 3, "shape": "oval"}, where)
    found = violations(caught)
    assert set(found) == {f"{where}.strength", f"{where}.shape"}
    assert examples.check_params("vignette", {"strength": 1}, where) == {"strength": 1, "radius": 0.5}
    with pytest.raises(InvalidArgument):
        examples.apply_effect("blur", random_frame(4, 4), 0.0, {"radius": 2.5})


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((4, 4, 3), np.uint8),
        np.zeros((4, 4, 4), np.float32),
        np.zeros((0, 4, 4), np.uint8),
        np.zeros(16),
    ],
)
def test_bad_frames_are_invalid(examples: PluginRegistry, frame: np.ndarray) -> None:
    with pytest.raises(InvalidArgument):
        examples.apply_effect("invert", frame, 0.0)


def test_transition_frames_must_match(examples: PluginRegistry) -> None:
    with pytest.raises(InvalidArgument) as caught:
        examples.apply_transition("crossfade", random_frame(4, 4), random_frame(4, 5), 0.5)
    assert "frames[1]" in violations(caught)


def test_metrics_expose_calls_and_faults(examples: PluginRegistry) -> None:
    examples.apply_effect("invert", random_frame(4, 4), 0.0)
    prom = CollectorRegistry()
    prom.register(PluginMetrics(examples))
    assert prom.get_sample_value("tstudio_plugin_calls_total", {"plugin": "invert"}) == 1
    assert prom.get_sample_value("tstudio_plugin_fuel_total", {"plugin": "invert"}) > 0
