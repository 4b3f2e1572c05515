"""Proto <-> domain translation for the recognition API."""

from __future__ import annotations

from collections.abc import Iterable

from tstudio.common.v1 import common_pb2
from tstudio.recognition.v1 import recognition_pb2 as pb

from tstudio_recognition.domain.analysis import AnalysisParams, AnalysisResult, ProgressUpdate
from tstudio_recognition.domain.detections import Detection, FrameResult, Task
from tstudio_recognition.domain.jobs import JobState, Stage
from tstudio_recognition.domain.manifest import Decoder, ModelManifest
from tstudio_recognition.domain.providers import ProviderReport
from tstudio_recognition.domain.recognizer import check_detect_params
from tstudio_recognition.domain.shots import Shot
from tstudio_recognition.domain.summary import Summary

TASK_TO_PB = {Task.FACES: pb.TASK_FACES, Task.TEXT: pb.TASK_TEXT, Task.OBJECTS: pb.TASK_OBJECTS}
PB_TO_TASK = {value: key for key, value in TASK_TO_PB.items()}
STAGE_TO_PB = {
    Stage.QUEUED: common_pb2.STAGE_QUEUED,
    Stage.RUNNING: common_pb2.STAGE_RUNNING,
    Stage.COMPLETED: common_pb2.STAGE_COMPLETED,
    Stage.FAILED: common_pb2.STAGE_FAILED,
    Stage.CANCELLED: common_pb2.STAGE_CANCELLED,
}


def tasks_from_pb(values: Iterable[int]) -> list[Task | None]:
    return [PB_TO_TASK.get(v) for v in values]


def model_info(manifest: ModelManifest, report: ProviderReport | None = None) -> pb.ModelInfo:
    # A text recogniser's labels are its whole character set (thousands); only the count is sent.
    labels = () if manifest.decoder is Decoder.CTC_TEXT else manifest.labels
    return pb.ModelInfo(
        name=manifest.name,
        task=TASK_TO_PB[manifest.task],
        source=manifest.source,
        sha256=manifest.sha256,
        input_width=manifest.input_width,
        input_height=manifest.input_height,
        labels=labels,
        loaded=report is not None,
        decoder=manifest.decoder.value,
        builtin=manifest.builtin,
        default_score=manifest.default_score,
        description=manifest.description,
        label_count=len(manifest.labels),
        input_layout=manifest.input_layout,
        provider=report.primary if report else "",
    )


def detection_pb(det: Detection) -> pb.Detection:
    return pb.Detection(
        task=TASK_TO_PB[det.task],
        label=det.label,
        score=det.score,
        box=pb.Box(x=det.x, y=det.y, width=det.width, height=det.height),
        text=det.text,
    )


def frame_pb(frame: FrameResult) -> pb.FrameResult:
    return pb.FrameResult(
        time=frame.time, frame_index=frame.frame_index, detections=[detection_pb(d) for d in frame.detections]
    )


def shot_pb(shot: Shot) -> pb.Shot:
    return pb.Shot(
        index=shot.index,
        start=shot.start,
        end=shot.end,
        start_frame=shot.start_frame,
        end_frame=shot.end_frame,
    )


def summary_pb(summary: Summary, wall_seconds: float, cached: bool) -> pb.AnalysisSummary:
    return pb.AnalysisSummary(
        segments=[
            pb.LabelSegment(
                task=TASK_TO_PB[s.task], label=s.label, start=s.start, end=s.end, max_score=s.max_score
            )
            for s in summary.segments
        ],
        frames_analyzed=summary.frames_analyzed,
        wall_seconds=wall_seconds,
        shots=[shot_pb(s) for s in summary.shots],
        faces_per_shot=[
            pb.ShotFaces(shot=shot_pb(f.shot), max_faces=f.max_faces, frames_with_faces=f.frames_with_faces)
            for f in summary.faces_per_shot
        ],
        cached=cached,
    )


def progress_pb(update: ProgressUpdate | None, stage: str) -> common_pb2.Progress:
    if update is None:
        return common_pb2.Progress(stage=STAGE_TO_PB[stage], eta_seconds=-1.0)
    return common_pb2.Progress(
        stage=STAGE_TO_PB[stage],
        percent=100.0 * update.done / max(update.total, 1),
        done=update.done,
        total=update.total,
        rate=update.rate,
        eta_seconds=update.eta_seconds,
    )


def analysis_params(request: pb.AnalyzeVideoRequest) -> AnalysisParams:
    detect = check_detect_params(
        tasks_from_pb(request.tasks), list(request.classes), request.min_score, request.object_model
    )
    return AnalysisParams(
        detect=detect,
        sample_fps=request.sample_fps,
        every_n_frames=request.every_n_frames,
        start=request.start,
        end=request.end,
    )


def update_pb(analysis_id: str, update: ProgressUpdate | AnalysisResult) -> pb.AnalyzeVideoResponse:
    if isinstance(update, AnalysisResult):
        done = update.summary.frames_analyzed
        progress = common_pb2.Progress(
            stage=common_pb2.STAGE_COMPLETED, percent=100.0, done=done, total=done, eta_seconds=0.0
        )
        return pb.AnalyzeVideoResponse(
            analysis_id=analysis_id,
            progress=progress,
            summary=summary_pb(update.summary, update.wall_seconds, update.cached),
        )
    return pb.AnalyzeVideoResponse(
        analysis_id=analysis_id,
        progress=progress_pb(update, Stage.RUNNING),
        frame=frame_pb(update.frame) if update.frame else None,
    )


def results_pb(state: JobState, include_frames: bool) -> pb.GetRecognitionResultsResponse:
    reply = pb.GetRecognitionResultsResponse(
        analysis_id=state.analysis_id, progress=progress_pb(state.last, state.stage)
    )
    if state.result is not None:
        reply.progress.percent = 100.0
        reply.summary.CopyFrom(
            summary_pb(state.result.summary, state.result.wall_seconds, state.result.cached)
        )
        if include_frames:
            reply.frames.extend(frame_pb(f) for f in state.result.frames)
    if state.error is not None:
        reply.error = getattr(state.error, "message", "internal error")
    return reply
