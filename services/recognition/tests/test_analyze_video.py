"""AnalyzeVideo, StartAnalysis and GetRecognitionResults over real gRPC on generated videos."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.common.v1 import common_pb2
from tstudio.events.v1 import events_pb2
from tstudio.recognition.v1 import recognition_pb2 as pb

Recognition = Any


async def analyze(
    recognition: Recognition, **fields: Any
) -> tuple[list[pb.AnalyzeVideoResponse], pb.AnalysisSummary]:
    replies = [r async for r in recognition.stub.AnalyzeVideo(pb.AnalyzeVideoRequest(**fields))]
    assert replies[-1].WhichOneof("item") == "summary"
    return replies, replies[-1].summary


async def test_face_pasted_from_2_to_4_seconds_gives_a_face_segment_covering_2_to_4(
    recognition: Recognition, face_video: Path
) -> None:
    replies, summary = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES])
    frames = [r.frame for r in replies if r.WhichOneof("item") == "frame"]
    assert len(frames) == 60 and summary.frames_analyzed == 60
    with_faces = [f.time for f in frames if f.detections]
    assert min(with_faces) == pytest.approx(2.0, abs=1e-3) and max(with_faces) == pytest.approx(3.9, abs=1e-3)
    faces = [s for s in summary.segments if s.task == pb.TASK_FACES]
    assert len(faces) == 1
    assert faces[0].label == "face"
    assert faces[0].start == pytest.approx(2.0, abs=0.1) and faces[0].end == pytest.approx(4.0, abs=0.1)
    # The paste in and out are cuts, so the face shot is the middle one, with one face in it.
    assert [round(s.start, 2) for s in summary.shots] == [0.0, 2.0, 4.0]
    assert [f.max_faces for f in summary.faces_per_shot] == [0, 1, 0]
    # Progress counts up to the total.
    assert replies[-2].progress.done == 60 and replies[-1].progress.stage == common_pb2.STAGE_COMPLETED
    assert len({r.analysis_id for r in replies}) == 1


async def test_text_is_read_back_with_its_times(recognition: Recognition, text_video: Path) -> None:
    _, summary = await analyze(recognition, path=str(text_video), tasks=[pb.TASK_TEXT], sample_fps=5)
    texts = [s for s in summary.segments if s.task == pb.TASK_TEXT]
    assert [s.label for s in texts] == ["HELLO 123"]
    assert texts[0].start == pytest.approx(1.0, abs=0.2) and texts[0].end == pytest.approx(2.0, abs=0.2)
    assert summary.frames_analyzed == 15


async def test_time_range_and_every_n_frames_pick_the_frames(
    recognition: Recognition, face_video: Path
) -> None:
    replies, summary = await analyze(
        recognition, path=str(face_video), tasks=[pb.TASK_FACES], start=1.0, end=3.0, every_n_frames=5
    )
    times = [round(r.frame.time, 2) for r in replies if r.WhichOneof("item") == "frame"]
    assert times == [1.0, 1.5, 2.0, 2.5]
    faces = [s for s in summary.segments if s.task == pb.TASK_FACES]
    assert [(round(s.start, 2), round(s.end, 2)) for s in faces] == [(2.0, 3.0)]


async def test_repeated_analysis_is_served_from_the_cache(recognition: Recognition, face_video: Path) -> None:
    _, first = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=2)
    _, second = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=2)
    assert not first.cached and second.cached
    diagnostics = (await recognition.stub.GetDiagnostics(pb.GetDiagnosticsRequest())).diagnostics
    assert {i.name: i.value for i in diagnostics.items}["cache.analysis_entries"] == "1"
    assert list(second.segments) == list(first.segments)
    _, other = await analyze(
        recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=2, min_score=0.9
    )
    assert not other.cached


async def test_analysis_sends_progress_and_completed_events(
    recognition: Recognition, face_video: Path
) -> None:
    received: list[events_pb2.Event] = []
    done = asyncio.Event()

    async def on_event(event: events_pb2.Event) -> None:
        received.append(event)
        if event.subject.endswith(".completed"):
            done.set()

    await recognition.bus.subscribe("tstudio.recognition.analysis.>", on_event)
    replies, _ = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=5)
    await asyncio.wait_for(done.wait(), 10)
    analysis_id = replies[0].analysis_id
    subjects = {e.subject for e in received}
    assert f"tstudio.recognition.analysis.{analysis_id}.progress" in subjects
    completed = next(e for e in received if e.subject.endswith(".completed"))
    assert completed.source == "recognition" and completed.completed.job_id == analysis_id
    assert completed.completed.attributes["frames_analyzed"] == "30"


async def test_started_analysis_runs_as_a_job_with_results_to_fetch(
    recognition: Recognition, face_video: Path
) -> None:
    started = await recognition.stub.StartAnalysis(
        pb.StartAnalysisRequest(
            analysis=pb.AnalyzeVideoRequest(path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=5)
        )
    )
    request = pb.GetRecognitionResultsRequest(analysis_id=started.analysis_id, include_frames=True)
    for _ in range(600):
        reply = await recognition.stub.GetRecognitionResults(request)
        if reply.progress.stage in (common_pb2.STAGE_COMPLETED, common_pb2.STAGE_FAILED):
            break
        await asyncio.sleep(0.05)
    assert reply.progress.stage == common_pb2.STAGE_COMPLETED, reply.error
    assert len(reply.frames) == 30
    assert [s.label for s in reply.summary.segments] == ["face"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.GetRecognitionResults(pb.GetRecognitionResultsRequest(analysis_id="nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_bad_video_requests_get_clear_statuses(
    recognition: Recognition, face_video: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(face_video.read_bytes()[:2000])
    cases = [
        ({"path": str(corrupt)}, grpc.StatusCode.INVALID_ARGUMENT, "path"),
        ({"path": str(truncated)}, grpc.StatusCode.INVALID_ARGUMENT, "path"),
        ({"path": str(tmp_path / "missing.mp4")}, grpc.StatusCode.NOT_FOUND, None),
        ({"path": "/etc/hostname"}, grpc.StatusCode.PERMISSION_DENIED, "path"),
        ({"path": str(face_video), "start": 60.0}, grpc.StatusCode.OUT_OF_RANGE, "start"),
        ({"path": str(face_video), "end": 60.0}, grpc.StatusCode.OUT_OF_RANGE, "end"),
        ({"path": str(face_video), "start": 3.0, "end": 2.0}, grpc.StatusCode.INVALID_ARGUMENT, "end"),
        (
            {"path": str(face_video), "sample_fps": 2, "every_n_frames": 3},
            grpc.StatusCode.INVALID_ARGUMENT,
            "every_n_frames",
        ),
        ({"path": str(face_video), "sample_fps": -1}, grpc.StatusCode.INVALID_ARGUMENT, "sample_fps"),
        ({"path": str(face_video), "min_score": 2}, grpc.StatusCode.INVALID_ARGUMENT, "min_score"),
    ]
    for fields, code, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await analyze(recognition, tasks=[pb.TASK_FACES], **fields)
        details = error_details(caught.value)
        assert details.code == code, (fields, details)
        if field:
            assert field in [v.field for v in details.field_violations], (fields, details)
    # Still serving.
    _, summary = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=1)
    assert summary.frames_analyzed == 6


async def test_start_analysis_refuses_bad_requests_at_once(
    recognition: Recognition, face_video: Path
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.StartAnalysis(
            pb.StartAnalysisRequest(
                analysis=pb.AnalyzeVideoRequest(path=str(face_video), tasks=[pb.TASK_FACES], start=99)
            )
        )
    assert caught.value.code() == grpc.StatusCode.OUT_OF_RANGE


async def test_a_cancelled_stream_stops_its_decoder_and_the_service_keeps_serving(
    recognition: Recognition, face_video: Path
) -> None:
    import threading

    from svckit.testing import wait_until

    call = recognition.stub.AnalyzeVideo(pb.AnalyzeVideoRequest(path=str(face_video), tasks=[pb.TASK_FACES]))
    first = await call.read()
    analysis_id = first.analysis_id
    call.cancel()

    def decoders() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name == "decode"]

    assert await asyncio.to_thread(wait_until, lambda: not decoders(), 10.0)
    state = await recognition.stub.GetRecognitionResults(
        pb.GetRecognitionResultsRequest(analysis_id=analysis_id)
    )
    assert state.progress.stage == common_pb2.STAGE_CANCELLED
    _, summary = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=1)
    assert summary.frames_analyzed == 6


async def test_a_stream_without_duration_or_timestamps_is_read_to_its_end(
    recognition: Recognition, tmp_path: Path
) -> None:
    from fractions import Fraction

    import av
    import numpy as np

    path = tmp_path / "raw.h264"
    with av.open(str(path), "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 128, "yuv420p"
        for index in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((128, 160, 3), index * 10, np.uint8), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    replies, summary = await analyze(recognition, path=str(path), tasks=[pb.TASK_FACES])
    assert summary.frames_analyzed == 20
    assert replies[0].progress.eta_seconds == -1.0


async def test_a_video_damaged_in_the_middle_never_breaks_the_service(
    recognition: Recognition, face_video: Path, tmp_path: Path
) -> None:
    data = bytearray(face_video.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = bytes(range(256)) * 15 + bytes(160)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    try:
        _, summary = await analyze(recognition, path=str(damaged), tasks=[pb.TASK_FACES])
        assert summary.frames_analyzed > 0
    except grpc.aio.AioRpcError as exc:
        # FFmpeg conceals most damage; what it cannot is a clear INVALID_ARGUMENT, never INTERNAL.
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
    _, again = await analyze(recognition, path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=1)
    assert again.frames_analyzed == 6
