"""A distributed job's KV state seen as the compiler's JobView (what Get/Watch/ListRenders answer)."""

from __future__ import annotations

from tstudio_compiler.domain.jobs import JobStatus, Stage
from tstudio_compiler.scale.domain import job_state
from tstudio_compiler.scale.domain.job_state import JobState
from tstudio_compiler.scale.domain.job_view import JobMeta, job_view

META = JobMeta(
    project_name="demo",
    output_path="/shared/out.mp4",
    video_encoder="libx264",
    fallback_reason="",
    segment_frames=(30, 60, 10),
    trace_headers=(("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),),
)


def test_progress_counts_the_frames_of_the_segments_done() -> None:
    state = JobState("j1", 3, created_at=100.0)
    state = job_state.start(state).state
    state = job_state.record_segment(state, 1, "/s/1.mp4", "w1").state
    view = job_view(state, META, now=102.0)
    assert view.status is JobStatus.RUNNING and view.progress.stage is Stage.RUNNING
    assert (view.progress.done, view.progress.total) == (60, 100)
    assert view.progress.percent == 60.0 and view.progress.rate == 30.0
    assert view.progress.eta_seconds == 40 / 30 and view.progress.message == "1/3 segments"
    assert view.project_name == "demo" and view.result is None


def test_a_joined_job_reports_its_result_and_a_failed_one_its_code() -> None:
    state = JobState("j1", 1, created_at=100.0)
    joining = job_state.record_segment(state, 0, "/s/0.mp4", "w1", reused=True).state
    assert job_view(joining, META, now=101.0).progress.stage is Stage.FINALIZING
    result = {"output_path": "/shared/out.mp4", "frames": 100, "duration_seconds": 3.3, "size_bytes": 9}
    done = job_state.succeed(joining, result, now=105.0).state
    view = job_view(done, META, now=200.0)
    assert view.status is JobStatus.SUCCEEDED and view.progress.percent == 100.0
    assert view.result is not None and view.result.segments_reused == 1 and view.result.wall_seconds == 5.0
    failed = job_state.fail(state, "segment 0: bad", 103.0, "INVALID_ARGUMENT").state
    assert job_view(failed, META, now=200.0).error_code == "INVALID_ARGUMENT"
    cancelled = job_state.cancel(state, 103.0).state
    assert job_view(cancelled, META, now=200.0).error_code == "CANCELLED"


def test_meta_keeps_the_submitters_trace_context_through_json() -> None:
    assert JobMeta.from_json(META.as_json()) == META
