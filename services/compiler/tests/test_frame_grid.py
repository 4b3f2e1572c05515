"""The three frame-level defects of issue 19: overlay fades go through transparency, frame counts are
duration x fps exactly, and a trim past the media's end is refused before anything renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, decode_rgb, project
from .test_render import render


def colour_clip(cid: str, color: str, start: float, duration: float, **more: Any) -> dict[str, Any]:
    return {"id": cid, "source": {"color": {"color": color}}, "start": start, "duration": duration, **more}


def edit(tracks: list[dict[str, Any]], out: Path, fps: float = 25, size: int = 32) -> dict[str, Any]:
    return {
        "settings": {"width": size, "height": size, "fps": fps},
        "tracks": tracks,
        "output": {"path": str(out), "audioCodec": "none"},
    }


def mean(frame: np.ndarray, x: int, y: int, r: int = 3) -> np.ndarray:
    return frame[y - r : y + r, x - r : x + r].reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("transform", [{}, {"x": 0.25, "y": 0.25, "scale": 0.5}])
async def test_an_opaque_overlay_fading_in_shows_the_video_underneath_at_its_first_frame(
    compiler: Running, tmp_path: Path, transform: dict[str, Any]
) -> None:
    out = tmp_path / "fade.mp4"
    tracks = [
        {"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [colour_clip("red", "#ff0000", 0, 2)]},
        {
            "id": "o",
            "kind": "TRACK_KIND_OVERLAY",
            "clips": [colour_clip("box", "#0000ff", 0, 2, fadeIn=1, fadeOut=0.5, transform=transform)],
        },
    ]
    job = await render(compiler, project(edit(tracks, out, fps=10, size=64)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 20
    # Inside the box: red (not black) at the start, half-way at 0.5 s, blue after the fade.
    assert np.allclose(mean(frames[0], 16, 16), (255, 0, 0), atol=20)
    halfway = mean(frames[5], 16, 16)
    assert 90 < halfway[0] < 170 and 90 < halfway[2] < 170 and halfway.sum() > 220
    assert np.allclose(mean(frames[12], 16, 16), (0, 0, 255), atol=20)
    # Fading out goes back to red, not black.
    assert mean(frames[19], 16, 16)[0] > 150


# (fps, tracks as (kind, [(start, duration, transition seconds)]), timeline seconds)
GRID_CASES = [
    (25, [("VIDEO", [(0, 1.02, 0), (1.02, 1.98, 0)])], 3.0),
    (25, [("VIDEO", [(0, 1.02, 0), (1.02, 1.98, 0)]), ("OVERLAY", [(0.5, 2.5, 0)])], 3.0),
    (25, [("VIDEO", [(0, 1.5, 0), (1.02, 1.98, 0.48)])], 3.0),
    (30, [("VIDEO", [(0, 0.35, 0), (0.35, 0.35, 0), (0.7, 0.35, 0)])], 1.05),
    (24, [("VIDEO", [(0, 1.01, 0), (0.51, 1.0, 0.5), (1.51, 0.6, 0)]), ("TEXT", [(0.27, 1.84, 0)])], 2.11),
    (29.97, [("VIDEO", [(0, 1.017, 0), (1.017, 1.0, 0)]), ("OVERLAY", [(0.3, 1.717, 0)])], 2.017),
]


@pytest.mark.parametrize(("fps", "layout", "seconds"), GRID_CASES)
async def test_frame_counts_are_the_timeline_duration_times_fps(
    compiler: Running, tmp_path: Path, fps: float, layout: list[Any], seconds: float
) -> None:
    colours = iter(["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#00ffff", "#ff00ff", "#ffffff"])
    tracks = []
    for ti, (kind, clips) in enumerate(layout):
        made = []
        for ci, (start, duration, transition) in enumerate(clips):
            clip = colour_clip(f"c{ti}{ci}", next(colours), start, duration)
            if kind == "TEXT":
                clip["source"] = {"text": {"text": "Hi", "fontSize": 8}}
            if transition:
                clip["transition"] = {"type": "fade", "duration": transition}
            made.append(clip)
        tracks.append({"id": f"t{ti}", "kind": f"TRACK_KIND_{kind}", "clips": made})
    out = tmp_path / "grid.mp4"
    job = await render(compiler, project(edit(tracks, out, fps=fps)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    expected = round(seconds * fps)
    frames = decode_rgb(out)
    assert job.result.frames == expected
    assert len(frames) == expected
    # The last frame still shows the last clip, never the empty background.
    assert mean(frames[-1], 16, 16).max() > 200


async def test_source_out_past_the_end_is_refused_before_rendering_with_the_media_length(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    # Relative path (resolved against base_dir) and absolute path both count.
    relative = media.red_green.name
    tracks = [
        {
            "id": "v",
            "kind": "TRACK_KIND_VIDEO",
            "clips": [
                {"id": "a", "source": {"path": relative}, "start": 0, "sourceIn": 0.5, "sourceOut": 5},
                {"id": "b", "source": {"path": str(media.red_green)}, "start": 4.5, "sourceOut": 3},
            ],
        }
    ]
    out = tmp_path / "past.mp4"
    proj = project(edit(tracks, out), media.root)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, proj)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    rich = error_details(caught.value)
    violations = {v.field: v.description for v in rich.field_violations}
    assert set(violations) == {"tracks[0].clips[0].source_out", "tracks[0].clips[1].source_out"}
    assert "2.000 s long" in violations["tracks[0].clips[0].source_out"]
    assert not out.exists()
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=proj))
    assert not reply.valid
    assert {v.field for v in reply.violations} == set(violations)


def test_a_reverse_longer_than_the_limit_is_refused_once_the_media_length_is_known() -> None:
    from svckit.errors import FailedPrecondition
    from tstudio_compiler.domain.model import Clip, Project, Source, Track, TrackKind
    from tstudio_compiler.domain.source_ranges import check_source_ranges

    clip = Clip("c", Source(path="long.mp4"), reverse=True)  # to the end of a 700 s file
    edit = Project(tracks=(Track("v", TrackKind.VIDEO, (clip,)),))
    with pytest.raises(FailedPrecondition) as caught:
        check_source_ranges(edit, {"long.mp4": 700.0})
    assert [v.field for v in caught.value.details.field_violations] == ["tracks[0].clips[0].reverse"]
    check_source_ranges(edit, {"long.mp4": 500.0})  # within the limit
