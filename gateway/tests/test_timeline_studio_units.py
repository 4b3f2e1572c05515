"""Pure parts of the translation layer, without sockets: job status mapping (a queued job keeps the
frontend polling), argument reading, the OAuth callback parser, subtitle formats, the scan
cancellation registry and the per-caller Tauri event hub."""

from __future__ import annotations

import asyncio
import json

import pytest
from google.protobuf import timestamp_pb2
from svckit.errors import Cancelled, InvalidArgument
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2
from tstudio_gateway.domain.auth import Caller
from tstudio_gateway.domain.oauth_callback import parse_callback_url
from tstudio_gateway.domain.subtitle_formats import content_problem, format_of
from tstudio_gateway.timeline_studio.args import Args
from tstudio_gateway.timeline_studio.media_scan import RunningScans
from tstudio_gateway.timeline_studio.media_shapes import frame_rate
from tstudio_gateway.timeline_studio.registry import TauriCall
from tstudio_gateway.timeline_studio.render_jobs import render_job, render_progress
from tstudio_gateway.timeline_studio.tauri_events import TauriEvents, valid_event_name


def job(status: int, **progress: object) -> compiler_pb2.RenderJob:
    return compiler_pb2.RenderJob(
        id="j1",
        status=status,  # type: ignore[arg-type]
        progress=common_pb2.Progress(**progress),  # type: ignore[arg-type]
        created_at=timestamp_pb2.Timestamp(seconds=1_000),
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (compiler_pb2.JOB_STATUS_QUEUED, "Processing"),
        (compiler_pb2.JOB_STATUS_RUNNING, "Processing"),
        (compiler_pb2.JOB_STATUS_SUCCEEDED, "Completed"),
        (compiler_pb2.JOB_STATUS_FAILED, "Failed"),
        (compiler_pb2.JOB_STATUS_CANCELLED, "Cancelled"),
    ],
)
def test_job_status_maps_to_the_frontends_render_status(status: int, expected: str) -> None:
    assert render_progress(job(status), now=1_002.5)["status"] == expected


def test_a_queued_job_keeps_the_poll_going_with_its_stage_and_times_in_ms() -> None:
    queued = render_progress(job(compiler_pb2.JOB_STATUS_QUEUED, stage=common_pb2.STAGE_QUEUED), now=1_002.5)
    assert queued == {
        "job_id": "j1",
        "stage": "Queued",
        "percentage": 0.0,
        "current_frame": 0,
        "total_frames": 0,
        "elapsed_time": 2500,
        "status": "Processing",
    }
    running = render_progress(
        job(
            compiler_pb2.JOB_STATUS_RUNNING,
            stage=common_pb2.STAGE_RUNNING,
            percent=40,
            done=12,
            total=30,
            eta_seconds=1.5,
        ),
        now=1_001,
    )
    assert (
        running["percentage"] == 40
        and running["estimated_remaining"] == 1500
        and running["stage"] == "Rendering"
    )
    done = render_progress(job(compiler_pb2.JOB_STATUS_SUCCEEDED, percent=99.5, done=29, total=30))
    assert done["percentage"] == 100 and done["current_frame"] == 30 and "estimated_remaining" not in done
    failed = compiler_pb2.RenderJob(id="j2", status=compiler_pb2.JOB_STATUS_FAILED, error="disk full")
    assert (
        render_progress(failed)["message"] == "disk full"
        and render_job(failed)["error_message"] == "disk full"
    )
    assert render_job(failed)["created_at"] == ""


def test_args_name_the_field_and_its_json_type() -> None:
    args = Args("cmd", {"a": "1", "n": 2.5, "b": True, "nested": {"x": None}, "list": ["ok", 3]})
    with pytest.raises(InvalidArgument, match=r"cmd: a must be a number, got a string"):
        args.number("a")
    with pytest.raises(InvalidArgument, match=r"cmd: b must be a number, got a boolean"):
        args.number("b")
    with pytest.raises(InvalidArgument, match=r"cmd: n must be a whole number, got 2.5"):
        args.integer("n")
    with pytest.raises(InvalidArgument, match=r"cmd: nested.x is required \(a string\)"):
        args.nested("nested").string("x")
    with pytest.raises(InvalidArgument, match=r"cmd: list\[1\] must be a non-empty string, got a number"):
        args.strings("list")
    with pytest.raises(InvalidArgument, match="the arguments must be an object, got an array"):
        Args("cmd", [1, 2])
    assert Args("cmd", None).string("missing", required=False, default="d") == "d"
    refused = pytest.raises(InvalidArgument)
    with refused as caught:
        Args("cmd", {"bytes": [1, 256]}).byte_array("bytes")
    assert caught.value.details.field_violations[0].field == "bytes[1]"


def test_oauth_callback_urls() -> None:
    def error(field: str, problem: str) -> InvalidArgument:
        return InvalidArgument(f"{field} {problem}")

    assert parse_callback_url("http://localhost:3000/cb?code=a&state=s", error) == {"code": "a", "state": "s"}
    assert parse_callback_url("tauri://localhost/cb#access_token=t&expires_in=3600", error) == {
        "access_token": "t",
        "expires_in": 3600,
    }
    assert parse_callback_url("http://x/cb?error=access_denied", error) == {"error": "access_denied"}
    for bad in ("not a url", "http://x/cb?foo=1"):
        with pytest.raises(InvalidArgument):
            parse_callback_url(bad, error)


def test_subtitle_formats() -> None:
    assert [format_of(p) for p in ("a.SRT", "b.vtt", "c.ass", "d.ssa", "e.txt")] == [
        "srt",
        "vtt",
        "ass",
        "ass",
        None,
    ]
    assert content_problem("srt", "1\n00:00:00,000 --> 00:00:01,000\nHi\n") is None
    assert content_problem("srt", "Hi") is not None
    assert content_problem("vtt", "\ufeffWEBVTT\n\n00:00.000 --> 00:01.000\nHi") is None
    assert content_problem("vtt", "1\n00:00:00,000 --> 00:00:01,000") is not None
    assert content_problem("ass", "[Script Info]\nTitle: x") is None
    assert content_problem("sub", "x") is not None


def test_frame_rates_as_ffprobe_writes_them() -> None:
    assert [frame_rate(f) for f in (30.0, 29.97002997, 25, 0)] == ["30/1", "30000/1001", "25/1", "0/0"]


async def test_cancel_media_processing_stops_only_that_callers_work() -> None:
    scans = RunningScans()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    def call(caller: str) -> TauriCall:
        return TauriCall(
            "scan_media_folder",
            Args("scan_media_folder", {}),
            Caller(id=caller, scopes=frozenset()),
            None,
            TauriEvents(),
        )  # type: ignore[arg-type]

    mine = asyncio.ensure_future(scans.run(call("me"), forever()))
    theirs = asyncio.ensure_future(scans.run(call("them"), forever()))
    await started.wait()
    await asyncio.sleep(0)
    assert scans.cancel("me") == 1
    with pytest.raises(Cancelled, match="cancelled by cancel_media_processing"):
        await mine
    assert not theirs.done()
    theirs.cancel()  # the client going away cancels the request itself: a plain CancelledError
    with pytest.raises(asyncio.CancelledError):
        await theirs
    assert scans.cancel("them") == 0


def test_events_reach_only_the_same_callers_listeners() -> None:
    hub = TauriEvents()
    mine: list[str] = []
    theirs: list[str] = []
    first = hub.listen("me", "media-processor", mine.append)
    hub.listen("them", "media-processor", theirs.append)
    assert (
        hub.emit("me", "media-processor", {"type": "ScanProgress", "data": {"current": 1, "total": 2}}) == 1
    )
    assert json.loads(mine[0]) == {
        "type": "tauri-event",
        "event": "media-processor",
        "id": first,
        "payload": {"type": "ScanProgress", "data": {"current": 1, "total": 2}},
    }
    assert theirs == []
    assert hub.unlisten("me", "media-processor", first) and not hub.unlisten("me", "media-processor", first)
    assert hub.emit("me", "media-processor", {}) == 0 and hub.listener_count() == 1
    assert valid_event_name("tauri://resize") and not valid_event_name("a b") and not valid_event_name(3)
