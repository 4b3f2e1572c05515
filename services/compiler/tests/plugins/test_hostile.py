"""Hostile modules written in WAT: each fault fails only its own call, names the plugin, and the host
(and the same plugin, with a fresh instance) keeps working afterwards."""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from google.rpc import error_details_pb2
from svckit.errors import Code
from svckit.grpc_errors import to_rpc_status
from tstudio_compiler.plugins import HostPolicy, PluginFault, PluginRegistry
from tstudio_compiler.plugins.policy import WASM_PAGE

from .conftest import EXAMPLES, effect_wat, manifest, random_frame

ENDLESS_LOOP = "(loop $spin (br $spin)) (i32.const 0)"
MEMORY_BOMB = "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable"
QUIET_MEMORY_BOMB = (
    "(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (i32.const 0)"
)
UNREACHABLE = "unreachable"
OUT_OF_BOUNDS = "(i32.store (i32.const -16) (i32.const 1)) (i32.const 0)"
ABORT = "(call $abort (i32.const 64) (i32.const 13)) (loop $spin (br $spin)) (i32.const 0)"
ABORT_DATA = '(data (i32.const 64) "bad frame 42!")'
STATUS_7 = "(i32.const 7)"
RECURSE = "(call $deep) (i32.const 0)"
RECURSE_FUNC = "(func $deep (call $deep))"


def install(registry: PluginRegistry, plugin_id: str, body: str, extra: str = "", limits: str = "") -> None:
    registry.install(manifest(plugin_id, extra=limits), effect_wat(body, extra=extra).encode())


def fault_of(registry: PluginRegistry, plugin_id: str, frame: np.ndarray | None = None) -> PluginFault:
    with pytest.raises(PluginFault) as caught:
        registry.apply_effect(plugin_id, random_frame(16, 16) if frame is None else frame, 0.0)
    fault = caught.value
    assert fault.code is Code.FAILED_PRECONDITION
    assert fault.metadata["plugin_id"] == plugin_id
    assert repr(plugin_id) in fault.message
    return fault


def assert_host_still_works(registry: PluginRegistry) -> None:
    frame = random_frame(24, 32)
    out = registry.apply_effect("invert", frame, 0.0)
    np.testing.assert_array_equal(out[..., :3], 255 - frame[..., :3])


@pytest.fixture
def hostile(registry: PluginRegistry) -> PluginRegistry:
    registry.load_dir(EXAMPLES / "invert")
    return registry


def test_endless_loop_runs_out_of_fuel(hostile: PluginRegistry) -> None:
    install(hostile, "spin", ENDLESS_LOOP)
    fault = fault_of(hostile, "spin")
    assert fault.reason == "PLUGIN_OUT_OF_FUEL"
    assert "ran out of fuel" in fault.message
    assert_host_still_works(hostile)
    assert fault_of(hostile, "spin").reason == "PLUGIN_OUT_OF_FUEL"  # a fresh instance faults the same way
    (stats,) = hostile.stats("spin")
    assert stats.calls == 2
    assert stats.faults_by_reason == {"PLUGIN_OUT_OF_FUEL": 2}


def test_endless_loop_with_ample_fuel_hits_the_epoch_deadline() -> None:
    # Fuel so large the loop would spin for many seconds: only the wall-clock deadline can stop it.
    policy = HostPolicy(max_fuel_per_pixel=1_000_000, base_fuel=10**12, deadline_ms=200)
    registry = PluginRegistry(None, policy)
    try:
        registry.load_dir(EXAMPLES / "invert")
        install(registry, "spin", ENDLESS_LOOP, limits="[limits]\nfuel_per_pixel = 1000000\n")
        fault = fault_of(registry, "spin")
        assert fault.reason == "PLUGIN_DEADLINE_EXCEEDED"
        assert_host_still_works(registry)
    finally:
        registry.close()


def test_memory_bomb_stops_at_the_ceiling(hostile: PluginRegistry, policy: HostPolicy) -> None:
    install(hostile, "bomb", MEMORY_BOMB, limits="[limits]\nmemory_pages = 32\n")
    fault = fault_of(hostile, "bomb")
    assert fault.reason == "PLUGIN_MEMORY_LIMIT"
    assert "memory ceiling of 32 pages" in fault.message
    assert_host_still_works(hostile)


def test_quiet_memory_bomb_never_gets_past_the_ceiling(hostile: PluginRegistry) -> None:
    install(hostile, "quiet-bomb", QUIET_MEMORY_BOMB, limits="[limits]\nmemory_pages = 2000\n")
    hostile.apply_effect("quiet-bomb", random_frame(8, 8), 0.0)  # memory.grow just failed: nothing to report
    (stats,) = hostile.stats("quiet-bomb")
    # The manifest asked for 2000 pages; the operator's cap (64 pages here) is what holds.
    assert stats.peak_memory_bytes <= hostile.policy.max_memory_pages * WASM_PAGE
    assert hostile.get("quiet-bomb").memory_ceiling_bytes == hostile.policy.max_memory_pages * WASM_PAGE


@pytest.mark.parametrize(
    ("body", "extra", "words"),
    [
        (UNREACHABLE, "", "unreachable"),
        (OUT_OF_BOUNDS, "", "memory out of bounds"),
        (RECURSE, RECURSE_FUNC, "stack overflow"),
    ],
)
def test_trap_is_reported_with_the_plugin_id(
    hostile: PluginRegistry, body: str, extra: str, words: str
) -> None:
    install(hostile, "trapper", body, extra=extra)
    fault = fault_of(hostile, "trapper")
    assert fault.reason == "PLUGIN_TRAP"
    assert words in fault.message
    assert_host_still_works(hostile)


def test_abort_carries_the_plugin_message(hostile: PluginRegistry) -> None:
    install(hostile, "aborter", ABORT, extra=ABORT_DATA)
    fault = fault_of(hostile, "aborter")
    assert fault.reason == "PLUGIN_ABORTED"
    assert "bad frame 42!" in fault.message
    assert_host_still_works(hostile)


def test_nonzero_status_is_a_fault(hostile: PluginRegistry) -> None:
    install(hostile, "seven", STATUS_7)
    fault = fault_of(hostile, "seven")
    assert fault.reason == "PLUGIN_ERROR_STATUS"
    assert "status 7" in fault.message


def test_frame_larger_than_the_memory_ceiling_is_refused_before_the_call(hostile: PluginRegistry) -> None:
    install(hostile, "tiny", "(i32.const 0)", limits="[limits]\nmemory_pages = 2\n")
    fault = fault_of(hostile, "tiny", random_frame(240, 320))
    assert fault.reason == "PLUGIN_MEMORY_LIMIT"
    assert hostile.stats("tiny")[0].calls == 0


def test_allocator_returning_nonsense_is_a_fault(hostile: PluginRegistry) -> None:
    module = effect_wat("(i32.const 0)").replace(
        "(local.get $ptr))", "(drop (local.get $ptr)) (i32.const -64))", 1
    )
    # The trial start allocates the params buffer, so a lying allocator is caught at install.
    with pytest.raises(Exception) as caught:
        hostile.install(manifest("liar"), module.encode())
    assert getattr(caught.value, "reason", "") == "PLUGIN_TRIAL_FAILED"
    assert "could not allocate" in str(caught.value)


def test_log_lines_are_rate_limited_per_call(
    hostile: PluginRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    body = """(local $i i32)
      (loop $again
        (call $log (i32.const 64) (i32.const 5))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))
      (i32.const 0)"""
    install(hostile, "chatty", body, extra='(data (i32.const 64) "hello")')
    with caplog.at_level(logging.INFO, logger="tstudio_compiler.plugins"):
        hostile.apply_effect("chatty", random_frame(4, 4), 0.0)
    lines = [r for r in caplog.records if "plugin chatty: hello" in r.getMessage()]
    assert len(lines) == hostile.policy.max_log_lines_per_call


def test_a_spinning_plugin_does_not_stop_other_threads(hostile: PluginRegistry) -> None:
    install(hostile, "spin", ENDLESS_LOOP)
    started = threading.Event()

    def spin() -> str:
        started.set()
        try:
            hostile.apply_effect("spin", random_frame(64, 64), 0.0)
        except PluginFault as exc:
            return exc.reason
        return "no fault"

    with ThreadPoolExecutor(max_workers=2) as pool:
        spinning = pool.submit(spin)
        started.wait()
        frames = [random_frame(30, 30, seed=i) for i in range(5)]
        results = list(pool.map(lambda f: hostile.apply_effect("invert", f, 0.0), frames))
        assert spinning.result() == "PLUGIN_OUT_OF_FUEL"
    for frame, out in zip(frames, results, strict=True):
        np.testing.assert_array_equal(out[..., :3], 255 - frame[..., :3])


def test_faulted_instances_are_freed(hostile: PluginRegistry) -> None:
    # Host callbacks live in a process-global table of wasmtime-py; they must not keep instances alive.
    install(
        hostile, "late-trap", "(if (f64.gt (local.get $t) (f64.const 0.5)) (then unreachable)) (i32.const 0)"
    )
    plugin = hostile._plugins["late-trap"]
    dropped = []
    for _ in range(3):
        hostile.apply_effect("late-trap", random_frame(8, 8), 0.0)
        dropped.append(weakref.ref(plugin._local.slot.instance))
        with pytest.raises(PluginFault):
            hostile.apply_effect("late-trap", random_frame(8, 8), 1.0)
    gc.collect()
    assert [ref() for ref in dropped] == [None, None, None]


def test_a_fault_becomes_a_rich_failed_precondition_status(hostile: PluginRegistry) -> None:
    install(hostile, "spin", ENDLESS_LOOP)
    status = to_rpc_status(fault_of(hostile, "spin"), "compiler.tstudio", "trace-1")
    assert status.code == 9  # FAILED_PRECONDITION
    details = {d.type_url.rsplit(".", 1)[-1]: d for d in status.details}
    info, resource = error_details_pb2.ErrorInfo(), error_details_pb2.ResourceInfo()
    details["ErrorInfo"].Unpack(info)
    details["ResourceInfo"].Unpack(resource)
    assert (info.reason, info.metadata["plugin_id"]) == ("PLUGIN_OUT_OF_FUEL", "spin")
    assert (resource.resource_type, resource.resource_name) == ("plugin", "spin")
