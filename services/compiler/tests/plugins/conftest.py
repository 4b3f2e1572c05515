"""Fixtures: a real plugin registry on wasmtime, the example plugins, hostile modules as WAT, and the
compiler serving with a plugin host."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from tstudio_compiler.plugins import HostPolicy, PluginRegistry
from tstudio_compiler.settings import CompilerSettings

from ..conftest import Running, serve

EXAMPLES = Path(__file__).resolve().parents[4] / "plugins" / "examples"

# The allocator and ABI exports every hand-written test module shares; `{body}` adds the entry point.
WAT_PRELUDE = """
  (import "tstudio" "abort" (func $abort (param i32 i32)))
  (import "tstudio" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "abi_version") (result i32) (i32.const {abi}))
  (func (export "alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                                                      (i32.const 16)) (i32.const 1)))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (i32.and (i32.add (local.get $end) (i32.const 15)) (i32.const -16)))
    (local.get $ptr))
"""

EFFECT_SIGNATURE = (
    '(func (export "effect_apply") (param $ptr i32) (param $w i32) (param $h i32) (param $stride i32) '
    "(param $t f64) (param $pp i32) (param $pl i32) (result i32)"
)


TRANSITION_SIGNATURE = (
    '(func (export "transition_apply") (param $a i32) (param $b i32) (param $w i32) (param $h i32) '
    "(param $stride i32) (param $progress f64) (param $pp i32) (param $pl i32) (result i32)"
)


def effect_wat(body: str, *, abi: int = 1, extra: str = "") -> str:
    """A whole effect module: the prelude, `extra` top-level fields, and `effect_apply` running `body`."""
    return _module(EFFECT_SIGNATURE, body, abi, extra)


def transition_wat(body: str, *, abi: int = 1, extra: str = "") -> str:
    """A whole transition module, like `effect_wat` with `transition_apply` running `body`."""
    return _module(TRANSITION_SIGNATURE, body, abi, extra)


def _module(signature: str, body: str, abi: int, extra: str) -> str:
    return f"(module {WAT_PRELUDE.format(abi=abi)} {extra} {signature} {body})\n)"


def manifest(plugin_id: str, module: str = "plugin.wat", kind: str = "effect", extra: str = "") -> str:
    return f'id = "{plugin_id}"\nname = "{plugin_id}"\nversion = "0.1.0"\nkind = "{kind}"\nmodule = "{module}"\n{extra}'


@pytest.fixture
def policy() -> HostPolicy:
    # Small ceilings so hostile modules hit them fast; a short deadline so the epoch test is quick.
    return HostPolicy(max_memory_pages=64, deadline_ms=300, max_module_bytes=256 * 1024)


@pytest.fixture
def registry(policy: HostPolicy) -> Iterator[PluginRegistry]:
    reg = PluginRegistry(None, policy)
    yield reg
    reg.close()


@pytest.fixture
def examples(registry: PluginRegistry) -> PluginRegistry:
    for name in ("invert", "blur", "vignette", "crossfade"):
        registry.load_dir(EXAMPLES / name)
    return registry


def random_frame(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 4), dtype=np.uint8)


async def serve_with_plugins(settings: CompilerSettings, registry: PluginRegistry) -> AsyncIterator[Running]:
    """The compiler with `registry` as its plugin host on a real gRPC server (port 0); closes the
    registry when done."""
    try:
        async for running in serve(settings, registry):
            yield running
    finally:
        registry.close()
