"""What the compiler can do, and its settings as the frontend reads them: get_gpu_capabilities_full,
check_hardware_acceleration_support, check_ffmpeg_capabilities, get_system_info,
get_compiler_settings_advanced, set_hardware_acceleration, get_prerender_cache_info,
clear_prerender_cache (src/types/video-compiler.ts: GpuCapabilities, SystemInfo, FfmpegCapabilities,
CompilerSettings)."""

from __future__ import annotations

import os
import platform
from typing import Any

from tstudio.compiler.v1 import compiler_pb2

from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

# Our encoder names -> the frontend's `GpuEncoder` enum strings.
GPU_ENCODER_KINDS = (
    ("nvenc", "Nvenc"),
    ("qsv", "QuickSync"),
    ("vaapi", "Vaapi"),
    ("videotoolbox", "VideoToolbox"),
    ("amf", "AMF"),
)
MIB = 1024 * 1024


def gpu_encoder_kind(encoder_name: str) -> str | None:
    for suffix, kind in GPU_ENCODER_KINDS:
        if encoder_name.endswith(suffix):
            return kind
    return None


class HardwarePreference:
    """`set_hardware_acceleration` per caller, held by this gateway process (not persisted):
    off makes the caller's compile_video renders software-only."""

    def __init__(self) -> None:
        self._enabled: dict[str, bool] = {}

    def enabled(self, caller_id: str) -> bool:
        return self._enabled.get(caller_id, True)

    def set(self, caller_id: str, enabled: bool) -> None:
        self._enabled[caller_id] = enabled


async def _capabilities(call: TauriCall) -> compiler_pb2.GetCapabilitiesResponse:
    response: compiler_pb2.GetCapabilitiesResponse = await call.call(
        "compiler.get_capabilities", compiler_pb2.GetCapabilitiesRequest()
    )
    return response


def _hardware_available(caps: compiler_pb2.GetCapabilitiesResponse) -> list[compiler_pb2.EncoderInfo]:
    return [e for e in caps.encoders if e.hardware and e.available]


async def get_gpu_capabilities_full(call: TauriCall) -> dict[str, Any]:
    caps = await _capabilities(call)
    kinds: list[str] = []
    for encoder in _hardware_available(caps):
        kind = gpu_encoder_kind(encoder.name)
        if kind and kind not in kinds:
            kinds.append(kind)
    result: dict[str, Any] = {
        "available_encoders": kinds,
        "hardware_acceleration_supported": bool(kinds),
    }
    if kinds:
        result["recommended_encoder"] = kinds[0]
    return result


async def check_hardware_acceleration_support(call: TauriCall) -> bool:
    return bool(_hardware_available(await _capabilities(call)))


async def check_ffmpeg_capabilities(call: TauriCall) -> dict[str, Any]:
    caps = await _capabilities(call)
    return {
        "version": caps.ffmpeg_version,
        "available_codecs": sorted({e.codec for e in caps.encoders if e.available and e.codec}),
        "hardware_encoders": [e.name for e in _hardware_available(caps)],
        # FFmpeg is linked into the compiler (PyAV), not a binary on a path.
        "path": "bundled with the compiler (PyAV)",
    }


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


async def get_system_info(call: TauriCall) -> dict[str, Any]:
    """The backend's host as the frontend's SystemInfo; the CPU count is the compiler's."""
    response = await call.call("compiler.get_diagnostics", compiler_pb2.GetDiagnosticsRequest())
    items = {item.name: item.value for item in response.diagnostics.items}
    try:
        cores = int(items.get("cpu.count", "0"))
    except ValueError:
        cores = 0
    total = _memory_bytes()
    machine = platform.machine()
    return {
        "os": {"type": platform.system(), "version": platform.release(), "architecture": machine},
        "cpu": {"cores": cores or os.cpu_count() or 0, "arch": machine},
        "memory": {"total_bytes": total, "total_mb": total // MIB, "total_gb": total // (1024 * MIB)},
        # The frontend shows these two; there is no Rust or Tauri here, so they name what runs instead.
        "runtime": {
            "rust_version": f"none (Python {platform.python_version()})",
            "tauri_version": "none (tstudio gateway)",
        },
    }


def compiler_settings_advanced(preference: HardwarePreference) -> Handler:
    async def handler(call: TauriCall) -> dict[str, Any]:
        stats = await call.call("compiler.get_cache_stats", compiler_pb2.GetCacheStatsRequest())
        diagnostics = await call.call("compiler.get_diagnostics", compiler_pb2.GetDiagnosticsRequest())
        items = {item.name: item.value for item in diagnostics.diagnostics.items}
        workers = next((v for k, v in items.items() if k.endswith("workers") and v.isdigit()), "1")
        return {
            "hardware_acceleration": preference.enabled(call.caller.id),
            "max_concurrent_jobs": int(workers),
            "temp_directory": "",
            "cache_size_mb": int(stats.stats.max_bytes) // MIB,
        }

    return handler


def set_hardware_acceleration(preference: HardwarePreference) -> Handler:
    async def handler(call: TauriCall) -> None:
        preference.set(call.caller.id, call.args.boolean("enabled"))

    return handler


async def get_prerender_cache_info(call: TauriCall) -> dict[str, Any]:
    """The compiler's segment cache, in the frontend's `{file_count, total_size, files}` shape
    (segments are content-addressed entries, not files the frontend could open: `files` is empty)."""
    response = await call.call("compiler.get_cache_stats", compiler_pb2.GetCacheStatsRequest())
    return {"file_count": int(response.stats.entries), "total_size": int(response.stats.bytes), "files": []}


async def clear_prerender_cache(call: TauriCall) -> int:
    """The bytes freed."""
    before = await call.call("compiler.get_cache_stats", compiler_pb2.GetCacheStatsRequest())
    await call.call("compiler.clear_cache", compiler_pb2.ClearCacheRequest())
    after = await call.call("compiler.get_cache_stats", compiler_pb2.GetCacheStatsRequest())
    return max(0, int(before.stats.bytes) - int(after.stats.bytes))


def commands(preference: HardwarePreference) -> list[TauriCommand]:
    return [
        TauriCommand("get_gpu_capabilities_full", get_gpu_capabilities_full, ("compiler",)),
        TauriCommand(
            "check_hardware_acceleration_support", check_hardware_acceleration_support, ("compiler",)
        ),
        TauriCommand("check_ffmpeg_capabilities", check_ffmpeg_capabilities, ("compiler",)),
        TauriCommand("get_system_info", get_system_info, ("compiler",)),
        TauriCommand("get_compiler_settings_advanced", compiler_settings_advanced(preference), ("compiler",)),
        TauriCommand("set_hardware_acceleration", set_hardware_acceleration(preference), ("compiler",)),
        TauriCommand("get_prerender_cache_info", get_prerender_cache_info, ("compiler",)),
        TauriCommand("clear_prerender_cache", clear_prerender_cache, ("compiler", "admin")),
    ]
