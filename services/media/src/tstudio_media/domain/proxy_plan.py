"""Proxy transcodes: their output size and the registry that lets a caller cancel one."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from svckit.errors import AlreadyExists, FieldViolation, InvalidArgument

DEFAULT_HEIGHT = 540
MAX_HEIGHT = 2160


@dataclass(frozen=True)
class ProxyPlan:
    height: int
    gop_frames: int


@dataclass(frozen=True)
class ProxyResult:
    output: Path
    duration_seconds: float
    width: int
    height: int


def proxy_plan(height: int, gop_frames: int) -> ProxyPlan:
    violations = []
    if height < 0 or height > MAX_HEIGHT:
        violations.append(FieldViolation("height", f"must be between 0 and {MAX_HEIGHT}"))
    if gop_frames < 0 or gop_frames > 600:
        violations.append(FieldViolation("gop_frames", "must be between 0 and 600"))
    if violations:
        raise InvalidArgument("invalid proxy request", field_violations=violations)
    return ProxyPlan(height or DEFAULT_HEIGHT, gop_frames or 1)


def proxy_size(width: int, height: int, rotation: int, target_height: int) -> tuple[int, int]:
    """Stored size of the proxy's frames: the *displayed* height becomes `target_height` (never
    larger than the source), the aspect is kept, and both sides are even for yuv420p."""
    displayed_height = width if rotation in (90, 270) else height
    scale = min(1.0, target_height / displayed_height)

    def even(value: float) -> int:
        return max(2, round(value / 2) * 2)

    return even(width * scale), even(height * scale)


def upright_proxy_size(display_width: int, display_height: int, target_height: int) -> tuple[int, int]:
    """Size of an upright, square-pixel proxy of a source shown at display_width x display_height:
    the height becomes `target_height` (never upscaled), the aspect is kept, both sides even."""
    scale = min(1.0, target_height / max(1, display_height))

    def even(value: float) -> int:
        return max(2, round(value / 2) * 2)

    return even(display_width * scale), even(display_height * scale)


class JobRegistry:
    """Running jobs by id, each with the flag its worker checks to stop early."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, threading.Event] = {}

    def start(self, job_id: str) -> threading.Event:
        with self._lock:
            if job_id in self._jobs:
                raise AlreadyExists(
                    f"job {job_id} is already running",
                    field_violations=[FieldViolation("job_id", "already running")],
                )
            flag = self._jobs[job_id] = threading.Event()
            return flag

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            flag = self._jobs.get(job_id)
        if flag is None:
            return False
        flag.set()
        return True

    def finish(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)

    def __len__(self) -> int:
        return len(self._jobs)
