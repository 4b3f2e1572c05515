"""Turns per-frame results into what an editor cuts with: per-label segments ("face from 2.0 s to
4.0 s", "text 'HELLO 123' from ..."), and faces per shot."""

from __future__ import annotations

from dataclasses import dataclass, field

from tstudio_recognition.domain.detections import FrameResult, Task
from tstudio_recognition.domain.shots import Shot

# A label seen again within this many sampling intervals continues its segment (one missed frame is
# detector noise, not the subject leaving).
_GAP_INTERVALS = 2.5


@dataclass(frozen=True)
class LabelSegment:
    task: Task
    label: str
    start: float
    end: float
    max_score: float


@dataclass(frozen=True)
class ShotFaces:
    shot: Shot
    max_faces: int
    frames_with_faces: int


@dataclass
class _Open:
    start: float
    last: float
    max_score: float


@dataclass(frozen=True)
class Summary:
    segments: tuple[LabelSegment, ...]
    shots: tuple[Shot, ...]
    faces_per_shot: tuple[ShotFaces, ...]
    frames_analyzed: int


@dataclass
class SummaryBuilder:
    """Feed frame results in time order; `finish` closes the open segments."""

    interval: float
    _open: dict[tuple[Task, str], _Open] = field(default_factory=dict)
    _closed: list[LabelSegment] = field(default_factory=list)
    _faces: list[tuple[float, int]] = field(default_factory=list)
    frames: int = 0

    def add(self, result: FrameResult) -> None:
        self.frames += 1
        best: dict[tuple[Task, str], float] = {}
        faces = 0
        for det in result.detections:
            key = (det.task, det.text if det.task is Task.TEXT else det.label)
            best[key] = max(best.get(key, 0.0), det.score)
            faces += det.task is Task.FACES
        self._faces.append((result.time, faces))
        for key, score in best.items():
            current = self._open.get(key)
            if current is not None and result.time - current.last > _GAP_INTERVALS * self.interval:
                self._close(key, current)
                current = None
            if current is None:
                self._open[key] = _Open(result.time, result.time, score)
            else:
                current.last = result.time
                current.max_score = max(current.max_score, score)

    def _close(self, key: tuple[Task, str], segment: _Open, limit: float | None = None) -> None:
        # A detection stands for the time until the next sample.
        end = segment.last + self.interval
        if limit is not None:
            end = min(end, limit)
        self._closed.append(LabelSegment(key[0], key[1], segment.start, end, segment.max_score))
        del self._open[key]

    def finish(self, end_time: float | None = None, shots: list[Shot] | None = None) -> Summary:
        for key, segment in list(self._open.items()):
            self._close(key, segment, end_time)
        segments = sorted(self._closed, key=lambda s: (s.start, s.task.value, s.label))
        shot_list = shots or []
        return Summary(tuple(segments), tuple(shot_list), tuple(self._faces_per_shot(shot_list)), self.frames)

    def _faces_per_shot(self, shots: list[Shot]) -> list[ShotFaces]:
        out = []
        for shot in shots:
            counts = [n for t, n in self._faces if shot.start <= t < shot.end]
            out.append(ShotFaces(shot, max(counts, default=0), sum(1 for n in counts if n)))
        return out
