"""The compiler's settings, read once from `COMPILER_*` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from svckit.settings import ServiceSettings


@dataclass(frozen=True, kw_only=True)
class CompilerSettings(ServiceSettings):
    port: int = 50051
    # Sources are read and outputs written only under these roots; empty allows every path.
    allowed_roots: tuple[Path, ...] = ()
    # Rasterised text for printed ffmpeg commands and other scratch files.
    data_dir: Path = Path("~/.cache/tstudio/compiler")
    # Renders running at once, and renders waiting beyond those before RESOURCE_EXHAUSTED.
    max_concurrent_renders: int = 1
    max_queued_renders: int = 8
    # Segment cache: 0 renders in one pass; a size renders segment by segment, re-encoding after an
    # edit only the segments it changed (outputs in mp4/mov/mkv), joined without re-encoding.
    segment_cache_bytes: int = 0
    # Where renders run: "local" (in this process, no NATS needed) or "jetstream" (segments go on a
    # JetStream work queue every replica pulls from; job state in a KV bucket any replica can read).
    queue: str = "local"
    # With the jetstream queue: storage every replica sees (segments, audio, the shared segment
    # cache), a volume on Kubernetes; outputs must be paths every replica can write too.
    shared_dir: Path = Path("~/.cache/tstudio/compiler/shared")
    # Seconds a replica may go silent on a segment before it is handed to another one.
    queue_ack_wait_seconds: float = 30.0
    # Pixel budget (width x height) of every decoded or rasterised picture: image and video sources
    # declaring more are refused before decoding; text is rasterised within the frame.
    max_picture_pixels: int = 40_000_000
    # Project limits (validation).
    max_tracks: int = 32
    max_clips_per_track: int = 500
    max_width: int = 7680
    max_height: int = 4320
    max_fps: float = 120.0
    max_duration_seconds: float = 6 * 3600.0
    # Stretches longer than this are cut into equal segments (more tasks for the replicas, a finer
    # segment cache); 0 cuts only where clips start and end.
    max_segment_seconds: float = 10.0
    # WASM plugin sandbox: hard caps that every plugin's requested limits are clipped to
    # (tstudio_compiler.plugins.policy.HostPolicy; docs/plugins.md). CPU per call is
    # plugin_base_fuel + plugin_max_fuel_per_pixel x pixels, in wasmtime fuel units.
    plugin_max_fuel_per_pixel: float = 2000.0
    plugin_base_fuel: int = 2_000_000
    # Linear memory ceiling of each plugin instance, in 64 KiB pages.
    plugin_max_memory_pages: int = 1024
    # Wall time per plugin call (epoch deadline), in milliseconds.
    plugin_deadline_ms: int = 2000
    # Largest module InstallPlugin accepts, in bytes.
    plugin_max_module_bytes: int = 8 * 1024 * 1024
    # Permissions a manifest may be granted ("wasi:clocks", "wasi:random"); none by default.
    plugin_allowed_permissions: tuple[str, ...] = ()
