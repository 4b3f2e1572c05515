"""A distributed job's state (the KV value) seen as the compiler's `JobView`, so `GetRender`,
`WatchRender` and the progress events look the same whichever queue ran the job.

`JobMeta` is what the submitting replica knows about the job and keeps in its spec (the JetStream job
message): names, the encoder, and each segment's frame count for frame-accurate progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tstudio_compiler.domain.jobs import JobStatus, JobView, Progress, Stage
from tstudio_compiler.domain.ports import RenderStats
from tstudio_compiler.scale.domain.job_state import JobState
from tstudio_compiler.scale.domain.job_state import JobStatus as QueueStatus

_STATUS = {
    QueueStatus.QUEUED: JobStatus.QUEUED,
    QueueStatus.RUNNING: JobStatus.RUNNING,
    QueueStatus.JOINING: JobStatus.RUNNING,
    QueueStatus.SUCCEEDED: JobStatus.SUCCEEDED,
    QueueStatus.FAILED: JobStatus.FAILED,
    QueueStatus.CANCELLED: JobStatus.CANCELLED,
}
_STAGE = {
    QueueStatus.QUEUED: Stage.QUEUED,
    QueueStatus.RUNNING: Stage.RUNNING,
    QueueStatus.JOINING: Stage.FINALIZING,
    QueueStatus.SUCCEEDED: Stage.COMPLETED,
    QueueStatus.FAILED: Stage.FAILED,
    QueueStatus.CANCELLED: Stage.CANCELLED,
}


@dataclass(frozen=True)
class JobMeta:
    project_name: str
    output_path: str
    video_encoder: str
    fallback_reason: str
    segment_frames: tuple[int, ...]
    # The submitter's trace context (W3C headers): events of the job join the caller's trace
    # whichever replica publishes them.
    trace_headers: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "project_name": self.project_name,
            "output_path": self.output_path,
            "video_encoder": self.video_encoder,
            "fallback_reason": self.fallback_reason,
            "segment_frames": list(self.segment_frames),
            "trace_headers": dict(self.trace_headers),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> JobMeta:
        return cls(
            project_name=str(value.get("project_name", "")),
            output_path=str(value.get("output_path", "")),
            video_encoder=str(value.get("video_encoder", "")),
            fallback_reason=str(value.get("fallback_reason", "")),
            segment_frames=tuple(int(f) for f in value.get("segment_frames", ())),
            trace_headers=tuple((str(k), str(v)) for k, v in dict(value.get("trace_headers") or {}).items()),
        )


def _time(seconds: float) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def job_view(state: JobState, meta: JobMeta, now: float) -> JobView:
    """`now` (epoch seconds) dates the rate and the time left of a running job."""
    total = sum(meta.segment_frames)
    done = sum(meta.segment_frames[i] for i in state.done if i < len(meta.segment_frames))
    elapsed = (state.finished_at or now) - state.created_at
    rate = done / elapsed if elapsed > 0 and done else 0.0
    finished = state.status.finished
    progress = Progress(
        stage=_STAGE[state.status],
        percent=100.0 if state.status is QueueStatus.SUCCEEDED else 100.0 * done / total if total else 0.0,
        done=total if state.status is QueueStatus.SUCCEEDED else done,
        total=total,
        rate=rate,
        eta_seconds=0.0 if finished else (total - done) / rate if rate > 0 else -1.0,
        message=f"{state.segments_done}/{state.segments_total} segments",
    )
    result = None
    if state.status is QueueStatus.SUCCEEDED and state.result is not None:
        frames = int(state.result.get("frames", total))
        result = RenderStats(
            output_path=str(state.result.get("output_path", meta.output_path)),
            frames=frames,
            duration=float(state.result.get("duration_seconds", 0.0)),
            size_bytes=int(state.result.get("size_bytes", 0)),
            video_encoder=meta.video_encoder,
            fallback_reason=meta.fallback_reason,
            segments=state.segments_total,
            segments_reused=state.segments_reused,
            wall_seconds=max(elapsed, 0.0),
        )
    return JobView(
        id=state.job_id,
        status=_STATUS[state.status],
        progress=progress,
        project_name=meta.project_name,
        output_path=meta.output_path,
        client_key=state.client_key,
        created_at=_time(state.created_at) or datetime.now(UTC),
        finished_at=_time(state.finished_at),
        result=result,
        error=state.error,
        error_code=state.error_code or ("CANCELLED" if state.status is QueueStatus.CANCELLED else ""),
        error_reason=state.error_reason,
    )
