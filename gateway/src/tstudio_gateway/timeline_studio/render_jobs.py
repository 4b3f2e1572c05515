"""Render jobs and previews: compile_video, get_render_progress, cancel_render, get_active_jobs,
get_render_job, generate_preview, prerender_segment.

Shapes are the frontend's `RenderProgress` / `RenderJob` (src/features/video-compiler/types/render.ts):
snake_case fields, `status` one of the TS `RenderStatus` strings, times in milliseconds. Its poll
goes on only while `status` is "Processing", so a queued job reports "Processing" too.
"""

from __future__ import annotations

import time
from typing import Any

from svckit.errors import Code, FailedPrecondition, ServiceError
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2, project_pb2

from tstudio_gateway.timeline_studio.compiler_info import HardwarePreference
from tstudio_gateway.timeline_studio.project_import import import_project
from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

JobStatus = compiler_pb2.JobStatus

RENDER_STATUS = {
    JobStatus.JOB_STATUS_UNSPECIFIED: "Processing",
    JobStatus.JOB_STATUS_QUEUED: "Processing",
    JobStatus.JOB_STATUS_RUNNING: "Processing",
    JobStatus.JOB_STATUS_SUCCEEDED: "Completed",
    JobStatus.JOB_STATUS_FAILED: "Failed",
    JobStatus.JOB_STATUS_CANCELLED: "Cancelled",
}

STAGE_NAMES = {
    common_pb2.STAGE_UNSPECIFIED: "Queued",
    common_pb2.STAGE_QUEUED: "Queued",
    common_pb2.STAGE_PREPARING: "Preparing",
    common_pb2.STAGE_RUNNING: "Rendering",
    common_pb2.STAGE_FINALIZING: "Finalizing",
    common_pb2.STAGE_COMPLETED: "Completed",
    common_pb2.STAGE_FAILED: "Failed",
    common_pb2.STAGE_CANCELLED: "Cancelled",
}

ACTIVE = (JobStatus.JOB_STATUS_QUEUED, JobStatus.JOB_STATUS_RUNNING)


def _seconds(timestamp: Any) -> float | None:
    if not timestamp.seconds and not timestamp.nanos:
        return None
    return float(timestamp.seconds) + timestamp.nanos / 1e9


def render_progress(job: compiler_pb2.RenderJob, now: float | None = None) -> dict[str, Any]:
    """The TS `RenderProgress` of a job."""
    status = RENDER_STATUS.get(job.status, "Processing")
    progress = job.progress
    created = _seconds(job.created_at)
    finished = _seconds(job.finished_at)
    end = finished if finished is not None else (time.time() if now is None else now)
    elapsed_ms = max(0, round((end - created) * 1000)) if created is not None else 0
    percentage = 100.0 if status == "Completed" else min(100.0, max(0.0, float(progress.percent)))
    total = int(progress.total)
    done = total if status == "Completed" and total else int(progress.done)
    result: dict[str, Any] = {
        "job_id": job.id,
        "stage": STAGE_NAMES.get(progress.stage, "Rendering"),
        "percentage": percentage,
        "current_frame": done,
        "total_frames": total,
        "elapsed_time": elapsed_ms,
        "status": status,
    }
    if status == "Processing" and progress.eta_seconds > 0:
        result["estimated_remaining"] = round(progress.eta_seconds * 1000)
    message = job.error or progress.message
    if message:
        result["message"] = message
    return result


def render_job(job: compiler_pb2.RenderJob) -> dict[str, Any]:
    """The TS `RenderJob` of a job (`created_at` as ISO 8601)."""
    result: dict[str, Any] = {
        "id": job.id,
        "project_name": job.project_name,
        "output_path": job.output_path,
        "status": RENDER_STATUS.get(job.status, "Processing"),
        "created_at": job.created_at.ToJsonString() if _seconds(job.created_at) is not None else "",
        "progress": render_progress(job),
    }
    if job.error:
        result["error_message"] = job.error
    return result


async def _job(call: TauriCall, job_id: str) -> compiler_pb2.RenderJob | None:
    try:
        response = await call.call("compiler.get_render", compiler_pb2.GetRenderRequest(job_id=job_id))
    except ServiceError as exc:
        if exc.code is Code.NOT_FOUND:
            return None
        raise
    job: compiler_pb2.RenderJob = response.job
    return job


def compile_video(hardware: HardwarePreference) -> Handler:
    async def handler(call: TauriCall) -> str:
        """`{projectSchema, outputPath}` -> the job id, at once; the render goes on in the compiler."""
        schema = call.args.obj("projectSchema")
        output_path = call.args.string("outputPath")
        project = await import_project(call, schema, "projectSchema", output_path)
        if not hardware.enabled(call.caller.id):
            # set_hardware_acceleration(false): software encoders only.
            project.output.hardware_acceleration = project_pb2.HARDWARE_ACCELERATION_NONE
        response = await call.call(
            "compiler.submit_render", compiler_pb2.SubmitRenderRequest(project=project)
        )
        return str(response.job.id)

    return handler


async def get_render_progress(call: TauriCall) -> dict[str, Any] | None:
    job = await _job(call, call.args.string("jobId"))
    return None if job is None else render_progress(job)


async def get_render_job(call: TauriCall) -> dict[str, Any] | None:
    job = await _job(call, call.args.string("jobId"))
    return None if job is None else render_job(job)


async def cancel_render(call: TauriCall) -> bool:
    """True when the job is now cancelled; false for an unknown or already finished job."""
    job_id = call.args.string("jobId")
    job = await _job(call, job_id)
    if job is None or job.status not in ACTIVE:
        return False
    try:
        response = await call.call("compiler.cancel_render", compiler_pb2.CancelRenderRequest(job_id=job_id))
    except ServiceError as exc:
        if exc.code in (Code.NOT_FOUND, Code.FAILED_PRECONDITION):
            return False
        raise
    return bool(response.job.status == JobStatus.JOB_STATUS_CANCELLED)


async def get_active_jobs(call: TauriCall) -> list[dict[str, Any]]:
    response = await call.call("compiler.list_renders", compiler_pb2.ListRendersRequest(statuses=ACTIVE))
    return [render_job(job) for job in response.jobs]


async def generate_preview(call: TauriCall) -> list[int]:
    """`{projectSchema, timestamp, quality?}` -> the JPEG's bytes as `number[]`."""
    schema = call.args.obj("projectSchema")
    timestamp = call.args.number("timestamp", minimum=0)
    quality = call.args.integer("quality", required=False, default=75, minimum=1, maximum=100)
    project = await import_project(call, schema, "projectSchema")
    response = await call.call(
        "compiler.render_frame",
        compiler_pb2.RenderFrameRequest(
            project=project, time=timestamp, format=compiler_pb2.IMAGE_FORMAT_JPEG, quality=quality
        ),
    )
    return list(response.image)


async def prerender_segment(call: TauriCall) -> dict[str, Any]:
    """`{request: {project_schema, start_time, end_time, apply_effects, quality?}}` -> PrerenderResult
    (`filePath`, `duration` s, `fileSize` bytes, `renderTimeMs`), once the segment is written."""
    request = call.args.nested("request")
    schema = request.obj("project_schema")
    start = request.number("start_time", minimum=0)
    end = request.number("end_time", minimum=0)
    if end <= start:
        raise request.error("end_time", f"must be after start_time ({start:g}), got {end:g}")
    apply_effects = request.boolean("apply_effects", required=False, default=True)
    if not apply_effects:
        raise request.error("apply_effects", "false is not supported: a prerender always applies the effects")
    request.integer("quality", required=False, default=75, minimum=1, maximum=100)
    project = await import_project(call, schema, "project_schema")
    response = await call.call(
        "compiler.prerender_segment",
        compiler_pb2.PrerenderSegmentRequest(
            project=project, start=start, end=end, profile=compiler_pb2.RENDER_PROFILE_PREVIEW
        ),
        # It answers when the segment is rendered: a render's deadline, not a lookup's.
        timeout=call.rpc.stream_seconds,
    )
    job = response.job
    if job.status != JobStatus.JOB_STATUS_SUCCEEDED:
        raise FailedPrecondition(
            f"prerender_segment: the segment did not render: {job.error or 'unknown error'}",
            reason="RENDER_FAILED",
        )
    return {
        "filePath": job.result.output_path or job.output_path,
        "duration": float(job.result.duration_seconds or (response.end - response.start)),
        "fileSize": int(job.result.size_bytes),
        "renderTimeMs": round(job.result.wall_seconds * 1000),
    }


def commands(hardware: HardwarePreference) -> list[TauriCommand]:
    return [
        TauriCommand("compile_video", compile_video(hardware), ("compiler",)),
        TauriCommand("get_render_progress", get_render_progress, ("compiler",)),
        TauriCommand("get_render_job", get_render_job, ("compiler",)),
        TauriCommand("cancel_render", cancel_render, ("compiler",)),
        TauriCommand("get_active_jobs", get_active_jobs, ("compiler",)),
        TauriCommand("generate_preview", generate_preview, ("compiler",)),
        TauriCommand("prerender_segment", prerender_segment, ("compiler",)),
    ]
