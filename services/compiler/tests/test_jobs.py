"""Render jobs through gRPC: submit, watch, list, cancel (output removed), a full queue, events,
and encoder selection with its reported fallback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2
from tstudio.events.v1 import events_pb2
from tstudio_compiler.domain.encoding import EncoderStatus

from .conftest import Media, Running, project


def long_edit(media: Media, output: Path, seconds: float = 20.0) -> dict[str, Any]:
    """Long enough to still be running when a test cancels it (each frame is blurred)."""
    return {
        "settings": {"width": 320, "height": 240, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": "c",
                        "source": {"color": {"color": "#336699"}},
                        "start": 0,
                        "duration": seconds,
                        "effects": [{"type": "blur", "params": {"radius": 20}}, {"type": "film-grain"}],
                    },
                ],
            }
        ],
        "output": {"path": str(output), "preset": "medium"},
    }


async def wait_running(compiler: Running, job_id: str) -> compiler_pb2.RenderJob:
    async for reply in compiler.stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=job_id)):
        if reply.job.status == compiler_pb2.JOB_STATUS_RUNNING and reply.job.progress.done > 0:
            return reply.job
    raise AssertionError("the job ended before it ran")


async def test_cancel_stops_the_render_and_removes_its_output(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "long.mp4"
    submitted = await compiler.stub.SubmitRender(
        compiler_pb2.SubmitRenderRequest(project=project(long_edit(media, out)))
    )
    running = await wait_running(compiler, submitted.job.id)
    assert running.progress.total == 600 and running.progress.rate > 0

    cancelled = await compiler.stub.CancelRender(compiler_pb2.CancelRenderRequest(job_id=submitted.job.id))

    assert cancelled.job.status == compiler_pb2.JOB_STATUS_CANCELLED
    assert not out.exists()
    assert not list(out.parent.iterdir())  # no partial file either
    got = await compiler.stub.GetRender(compiler_pb2.GetRenderRequest(job_id=submitted.job.id))
    assert got.job.status == compiler_pb2.JOB_STATUS_CANCELLED


async def test_a_full_queue_answers_resource_exhausted(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    # The fixture allows one running and one queued render.
    jobs = []
    for index in range(2):
        reply = await compiler.stub.SubmitRender(
            compiler_pb2.SubmitRenderRequest(project=project(long_edit(media, tmp_path / f"{index}.mp4")))
        )
        jobs.append(reply.job.id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await compiler.stub.SubmitRender(
            compiler_pb2.SubmitRenderRequest(project=project(long_edit(media, tmp_path / "2.mp4")))
        )
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_details(caught.value).retry_after_seconds

    listed = await compiler.stub.ListRenders(
        compiler_pb2.ListRendersRequest(statuses=[compiler_pb2.JOB_STATUS_QUEUED])
    )
    assert [j.id for j in listed.jobs] == [jobs[1]]
    for job_id in jobs:
        reply = await compiler.stub.CancelRender(compiler_pb2.CancelRenderRequest(job_id=job_id))
        assert reply.job.status == compiler_pb2.JOB_STATUS_CANCELLED
    assert not list(tmp_path.glob("*.mp4"))


async def test_submit_with_a_client_key_is_idempotent_and_events_report_completion(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    events: list[events_pb2.Event] = []
    done = asyncio.Event()

    async def on_event(event: events_pb2.Event) -> None:
        events.append(event)
        if event.WhichOneof("payload") in ("completed", "failed"):
            done.set()

    await compiler.bus.subscribe("tstudio.compiler.render.>", on_event)
    edit = {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": str(media.red_green)}, "start": 0}],
            }
        ],
        "output": {"path": str(tmp_path / "keyed.mp4")},
    }
    request = compiler_pb2.SubmitRenderRequest(project=project(edit), client_key="render-42")
    first = await compiler.stub.SubmitRender(request)
    second = await compiler.stub.SubmitRender(request)
    assert first.job.id == second.job.id

    final = None
    async for reply in compiler.stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=first.job.id)):
        final = reply.job
    assert final is not None and final.status == compiler_pb2.JOB_STATUS_SUCCEEDED
    assert final.result.frames == 60 and final.result.size_bytes > 0
    await asyncio.wait_for(done.wait(), 5)
    completed = [e for e in events if e.WhichOneof("payload") == "completed"]
    assert completed[0].subject == f"tstudio.compiler.render.{first.job.id}.completed"
    assert completed[0].completed.output_path == str(tmp_path / "keyed.mp4")


async def test_capabilities_report_encoders_opened_for_real(compiler: Running) -> None:
    caps = await compiler.stub.GetCapabilities(compiler_pb2.GetCapabilitiesRequest())
    by_name = {e.name: e for e in caps.encoders}
    assert by_name["libx264"].available and not by_name["libx264"].hardware
    nvenc = by_name["h264_nvenc"]
    assert nvenc.hardware
    if not nvenc.available:
        assert nvenc.reason
        assert caps.auto_encoders["h264"] == "libx264"
    assert {"mp4", "mov", "mkv", "webm", "gif"} <= set(caps.containers)
    assert caps.ffmpeg_version
    diagnostics = await compiler.stub.GetDiagnostics(compiler_pb2.GetDiagnosticsRequest())
    names = {i.name for i in diagnostics.diagnostics.items}
    assert {"ffmpeg.version", "encoder.libx264", "jobs.running"} <= names


async def test_required_hardware_without_one_fails_before_queueing(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    caps = await compiler.stub.GetCapabilities(compiler_pb2.GetCapabilitiesRequest())
    if any(e.available and e.hardware and e.codec == "h264" for e in caps.encoders):
        pytest.skip("this machine has a hardware H.264 encoder")
    edit = {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": str(media.red_green)}, "start": 0}],
            }
        ],
        "output": {
            "path": str(tmp_path / "hw.mp4"),
            "hardwareAcceleration": "HARDWARE_ACCELERATION_REQUIRED",
        },
    }
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await compiler.stub.SubmitRender(compiler_pb2.SubmitRenderRequest(project=project(edit)))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(caught.value).field_violations[0].field == "output.hardware_acceleration"


class _ClaimsNvenc:
    """An inventory that believes NVENC opens, so the render meets the real failure here."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def encoders(self) -> dict[str, EncoderStatus]:
        found = dict(self._real.encoders())
        found["h264_nvenc"] = EncoderStatus("h264_nvenc", "h264", True, True)
        return found

    def ffmpeg_version(self) -> str:
        return str(self._real.ffmpeg_version())


async def test_a_hardware_encoder_that_fails_to_open_falls_back_to_software_and_says_so(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    real = compiler.compiler.encoders
    if real.encoders()["h264_nvenc"].available:
        pytest.skip("NVENC really works here")
    compiler.compiler.encoders = _ClaimsNvenc(real)
    edit = {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": str(media.red_green)}, "start": 0}],
            }
        ],
        "output": {"path": str(tmp_path / "hw.mp4"), "hardwareAcceleration": "HARDWARE_ACCELERATION_AUTO"},
    }
    final = None
    async for reply in compiler.stub.Render(compiler_pb2.RenderRequest(project=project(edit))):
        final = reply.job
    assert final is not None and final.status == compiler_pb2.JOB_STATUS_SUCCEEDED, final
    assert final.result.video_encoder == "libx264"
    assert final.result.hardware_fallback_reason.startswith("h264_nvenc failed to open")
