"""What distributed rendering needs from the render engine, as Protocols.

The queue moves `SegmentTask`s; a `SegmentRenderer` turns one into an encoded segment file on storage
every replica sees, and a `Joiner` concatenates a job's segments (plus its whole-timeline audio) into
the output. The engine provides both; tests and benchmarks use the test-pattern renderer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class SegmentSpec:
    """One segment of a job: its place, its content key and an engine-defined JSON description."""

    index: int
    key: str
    description: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    """A render job as submitted: the segments in timeline order and where the output goes."""

    job_id: str
    segments: tuple[SegmentSpec, ...]
    output_path: str
    audio_path: str = ""
    client_key: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SegmentTask:
    """A segment to render, as a worker receives it. `delivery` counts redeliveries (1 = first)."""

    job_id: str
    segment: SegmentSpec
    work_dir: str
    delivery: int = 1
    # False renders from scratch without reading or writing the segment cache (`--no-cache`).
    use_cache: bool = True
    # Set by the worker when the job is cancelled (or fails elsewhere) while the segment renders;
    # a renderer that checks it stops early.
    cancelled: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    @property
    def output_path(self) -> Path:
        """Where the renderer writes this segment (storage shared by all replicas)."""
        return Path(self.work_dir) / self.job_id / f"{self.segment.index:06d}.mp4"


class SegmentRenderer(Protocol):
    async def render(self, task: SegmentTask) -> Path:
        """Encode the segment (H.264, starting on a keyframe, the job's encoder settings) and
        return its file. Must be safe to call again for the same task (redelivery)."""
        ...


class Joiner(Protocol):
    async def join(self, job: JobSpec, segment_paths: list[Path]) -> dict[str, Any]:
        """Concatenate the segments without re-encoding into `job.output_path` (atomically) and
        return a JSON-able result (output path, duration, frames, size)."""
        ...
