"""The operator's side of the sandbox: hard caps that every plugin's requested limits are clipped to."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tstudio_compiler.plugins.manifest import PluginManifest
from tstudio_compiler.settings import CompilerSettings

WASM_PAGE = 65536


@dataclass(frozen=True)
class HostPolicy:
    max_module_bytes: int = 8 * 1024 * 1024
    max_manifest_bytes: int = 64 * 1024
    max_fuel_per_pixel: float = 2000.0
    # Fixed fuel per call on top of the per-pixel budget, for setup work that does not scale with the frame.
    base_fuel: int = 2_000_000
    max_memory_pages: int = 1024  # 64 MiB
    deadline_ms: int = 2000  # wall time per frame, enforced by the epoch ticker
    epoch_tick_ms: int = 10
    allowed_permissions: tuple[str, ...] = ()
    max_log_lines_per_call: int = 8


def host_policy(settings: CompilerSettings) -> HostPolicy:
    """The operator's caps from COMPILER_PLUGIN_* settings."""
    return HostPolicy(
        max_module_bytes=settings.plugin_max_module_bytes,
        max_fuel_per_pixel=settings.plugin_max_fuel_per_pixel,
        base_fuel=settings.plugin_base_fuel,
        max_memory_pages=settings.plugin_max_memory_pages,
        deadline_ms=settings.plugin_deadline_ms,
        allowed_permissions=settings.plugin_allowed_permissions,
    )


@dataclass(frozen=True)
class EffectiveLimits:
    fuel_per_pixel: float
    base_fuel: int
    memory_bytes: int
    deadline_ticks: int

    def fuel_for(self, pixels: int) -> int:
        return self.base_fuel + math.ceil(self.fuel_per_pixel * pixels)


def effective_limits(manifest: PluginManifest, policy: HostPolicy) -> EffectiveLimits:
    asked = manifest.limits
    deadline_ms = min(asked.deadline_ms or policy.deadline_ms, policy.deadline_ms)
    return EffectiveLimits(
        fuel_per_pixel=min(asked.fuel_per_pixel, policy.max_fuel_per_pixel),
        base_fuel=policy.base_fuel,
        memory_bytes=min(asked.memory_pages, policy.max_memory_pages) * WASM_PAGE,
        # +1: the tick in progress when the call starts is partly spent already.
        deadline_ticks=max(1, math.ceil(deadline_ms / policy.epoch_tick_ms)) + 1,
    )
