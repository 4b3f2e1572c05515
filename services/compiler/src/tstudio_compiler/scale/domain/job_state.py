"""State of a distributed render job and the transitions workers make on it.

The state is a value: every transition returns a new one, so the JetStream adapter can apply it with a
revision check (compare-and-set) and retry on a conflict. Exactly one transition moves a job from
RUNNING to JOINING — the one that records its last segment — which is how "whoever finishes the last
segment joins them" happens once.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field, replace
from typing import Any

from svckit.errors import DataLoss


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    JOINING = "joining"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class SegmentDone:
    path: str
    worker: str
    # Taken from the segment cache rather than rendered.
    reused: bool = False


@dataclass(frozen=True)
class JobState:
    job_id: str
    segments_total: int
    status: JobStatus = JobStatus.QUEUED
    done: dict[int, SegmentDone] = field(default_factory=dict)
    joiner: str = ""
    # The segment whose task carries the join: if its worker dies, that task's redelivery resumes it.
    join_segment: int = -1
    join_attempts: int = 0
    result: dict[str, Any] | None = None
    error: str = ""
    # The gRPC code name of the failure ("INVALID_ARGUMENT", "INTERNAL"...).
    error_code: str = ""
    error_reason: str = ""
    client_key: str = ""
    created_at: float = 0.0
    finished_at: float = 0.0

    @property
    def segments_done(self) -> int:
        return len(self.done)

    @property
    def segments_reused(self) -> int:
        return sum(1 for item in self.done.values() if item.reused)

    @property
    def progress(self) -> float:
        """Fraction 0..1 of segments rendered (the join is the last step)."""
        if self.status is JobStatus.SUCCEEDED:
            return 1.0
        return self.segments_done / self.segments_total if self.segments_total else 0.0

    def segments_by_worker(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.done.values():
            counts[item.worker] = counts.get(item.worker, 0) + 1
        return counts

    def segment_paths(self) -> list[str]:
        """Rendered segment paths in timeline order (only meaningful once all are done)."""
        return [self.done[index].path for index in sorted(self.done)]

    # -- serialisation (the KV value) ------------------------------------------------------------

    def to_bytes(self) -> bytes:
        value = {
            "job_id": self.job_id,
            "segments_total": self.segments_total,
            "status": self.status.value,
            "done": {
                str(i): {"path": d.path, "worker": d.worker, "reused": d.reused}
                for i, d in sorted(self.done.items())
            },
            "joiner": self.joiner,
            "join_segment": self.join_segment,
            "join_attempts": self.join_attempts,
            "result": self.result,
            "error": self.error,
            "error_code": self.error_code,
            "error_reason": self.error_reason,
            "client_key": self.client_key,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }
        return json.dumps(value, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> JobState:
        try:
            value = json.loads(data)
            return cls(
                job_id=value["job_id"],
                segments_total=int(value["segments_total"]),
                status=JobStatus(value["status"]),
                done={
                    int(i): SegmentDone(d["path"], d["worker"], bool(d.get("reused", False)))
                    for i, d in value["done"].items()
                },
                joiner=value.get("joiner", ""),
                join_segment=int(value.get("join_segment", -1)),
                join_attempts=int(value.get("join_attempts", 0)),
                result=value.get("result"),
                error=value.get("error", ""),
                error_code=value.get("error_code", ""),
                error_reason=value.get("error_reason", ""),
                client_key=value.get("client_key", ""),
                created_at=float(value.get("created_at", 0.0)),
                finished_at=float(value.get("finished_at", 0.0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DataLoss(f"job state is unreadable: {exc}") from exc


@dataclass(frozen=True)
class Transition:
    """A transition's outcome: the new state, whether it differs, and whether the caller must join."""

    state: JobState
    changed: bool
    must_join: bool = False


def start(state: JobState) -> Transition:
    """A worker took the job's first task: QUEUED becomes RUNNING (later calls change nothing)."""
    if state.status is not JobStatus.QUEUED:
        return Transition(state, changed=False)
    return Transition(replace(state, status=JobStatus.RUNNING), changed=True)


def record_segment(state: JobState, index: int, path: str, worker: str, reused: bool = False) -> Transition:
    """Mark segment `index` rendered by `worker`. A repeat (a redelivered task) changes nothing; the
    last segment moves the job to JOINING and names this worker the joiner."""
    if state.status.finished or index in state.done:
        return Transition(state, changed=False)
    if not 0 <= index < state.segments_total:
        raise DataLoss(f"job {state.job_id} has no segment {index}")
    done = {**state.done, index: SegmentDone(path, worker, reused)}
    if len(done) == state.segments_total:
        joined = replace(
            state, done=done, status=JobStatus.JOINING, joiner=worker, join_segment=index, join_attempts=1
        )
        return Transition(joined, changed=True, must_join=True)
    return Transition(replace(state, done=done, status=JobStatus.RUNNING), changed=True)


def take_over_join(state: JobState, index: int, worker: str) -> Transition:
    """The task of segment `index` arrived again while the job is JOINING on it: the previous joiner
    died (or lost its connection before it could ack), so this worker joins instead. Tasks of other
    segments never take over, so one live joiner is never doubled."""
    if state.status is not JobStatus.JOINING or index != state.join_segment:
        return Transition(state, changed=False)
    return Transition(
        replace(state, joiner=worker, join_attempts=state.join_attempts + 1), changed=True, must_join=True
    )


def succeed(state: JobState, result: dict[str, Any], now: float) -> Transition:
    if state.status.finished:
        return Transition(state, changed=False)
    return Transition(
        replace(state, status=JobStatus.SUCCEEDED, result=result, finished_at=now), changed=True
    )


def fail(state: JobState, error: str, now: float, code: str = "INTERNAL", reason: str = "") -> Transition:
    if state.status.finished:
        return Transition(state, changed=False)
    failed = replace(
        state, status=JobStatus.FAILED, error=error, error_code=code, error_reason=reason, finished_at=now
    )
    return Transition(failed, changed=True)


def cancel(state: JobState, now: float) -> Transition:
    if state.status.finished:
        return Transition(state, changed=False)
    return Transition(replace(state, status=JobStatus.CANCELLED, finished_at=now), changed=True)
