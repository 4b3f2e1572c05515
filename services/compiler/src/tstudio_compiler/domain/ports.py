"""What the compiler's core needs from the outside world, as small protocols (adapters implement them)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tstudio_compiler.domain.encoding import EncoderStatus, EncodeSettings
from tstudio_compiler.domain.plan import InputSpec, RenderPlan, SegmentGraph
from tstudio_compiler.domain.sources import SourceInfo

T = TypeVar("T")

# (frames done, frames total, stage: "preparing" | "running" | "finalizing")
ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RenderStats:
    output_path: str
    frames: int
    duration: float
    size_bytes: int
    video_encoder: str
    fallback_reason: str
    segments: int
    segments_reused: int
    wall_seconds: float


class Blocking(Protocol):
    """Runs blocking work off the event loop (svckit's BlockingExecutor)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...


class PathPolicy(Protocol):
    """Allowed roots: returns the resolved path or raises PermissionDenied/InvalidArgument."""

    def check(self, path: str | Path, field: str = "path") -> Path: ...

    def check_output(self, path: str | Path, field: str = "output.path", protect: Iterable[Any] = ()) -> Path:
        """Before any work: a writable place for a file, never one of `protect` (source paths),
        compared by file identity; raises FailedPrecondition/InvalidArgument with `field`."""
        ...


class SourceProber(Protocol):
    def probe_all(self, paths: Mapping[str, str]) -> dict[str, SourceInfo]:
        """(field path -> file path) to file path -> info; raises naming every missing/unreadable file."""
        ...


class Renderer(Protocol):
    def render(
        self, plan: RenderPlan, encode: EncodeSettings, progress: ProgressCallback, cancelled: threading.Event
    ) -> RenderStats: ...


class FramePreviewer(Protocol):
    def render_frame(
        self, graph: SegmentGraph, plan: RenderPlan, width: int, image_format: str, quality: int
    ) -> tuple[bytes, int, int]:
        """(image bytes, width, height) of the graph's single output frame."""
        ...


class TextImages(Protocol):
    def path_for(self, spec: InputSpec) -> str:
        """A PNG of the rasterised text the ffmpeg command can read."""
        ...


class BoundFramePlugin(Protocol):
    """A plugin bound to its params: an effect or a transition (calling the other kind fails)."""

    def effect(self, rgba: Any, time_s: float) -> Any:
        """Return the (h, w, 4) uint8 RGBA frame changed."""
        ...

    def transition_view(self, a: Any, b: Any, progress: float) -> Any:
        """`a` blended into `b` at `progress` 0..1, as a read-only view valid until this thread's next
        call of the same plugin."""
        ...


class FrameEffects(Protocol):
    """Effects and transitions applied to decoded frames outside FFmpeg (the WASM plugin host)."""

    def bind(self, plugin_id: str, params: Mapping[str, Any]) -> BoundFramePlugin: ...


class DiagnosticsSource(Protocol):
    def items(self) -> list[tuple[str, str, bool]]:
        """(dotted name, value, ok) items for GetDiagnostics."""
        ...


class EncoderInventory(Protocol):
    def encoders(self) -> Mapping[str, EncoderStatus]: ...

    def ffmpeg_version(self) -> str: ...
