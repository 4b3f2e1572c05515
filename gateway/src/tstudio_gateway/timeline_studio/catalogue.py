"""Every translated command, built once per gateway."""

from __future__ import annotations

from tstudio_gateway.adapters.backends import Backends
from tstudio_gateway.adapters.contracts import Command
from tstudio_gateway.domain.commands import CommandTable
from tstudio_gateway.timeline_studio import (
    api_keys,
    caches,
    compiler_info,
    frames,
    media,
    media_scan,
    preview_data,
    recognition,
    render_jobs,
    user_files,
)
from tstudio_gateway.timeline_studio.registry import Rpc, TauriCommands
from tstudio_gateway.timeline_studio.tauri_events import TauriEvents


def timeline_studio_commands(
    table: CommandTable[Command],
    backends: Backends,
    unary_seconds: float,
    stream_seconds: float,
    security_service_token: str = "",
) -> TauriCommands:
    hardware = compiler_info.HardwarePreference()
    counters = preview_data.CacheCounters()
    return TauriCommands(
        [
            *render_jobs.commands(hardware),
            *compiler_info.commands(hardware),
            *media.COMMANDS,
            *media_scan.commands(media_scan.RunningScans()),
            *preview_data.commands(counters),
            *caches.commands(counters),
            *api_keys.commands(),
            *user_files.COMMANDS,
            *frames.COMMANDS,
            *recognition.COMMANDS,
        ],
        Rpc(table, backends, unary_seconds, stream_seconds, security_service_token),
        TauriEvents(),
    )
