"""Timeline markers become chapters of MP4, MOV and MKV outputs, and come back in the render result."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Running, project
from .test_render import render


def marked(out: Path, markers: list[dict[str, object]]) -> dict[str, object]:
    return {
        "settings": {"width": 32, "height": 32, "fps": 10},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"color": {"color": "#204060"}}, "start": 0, "duration": 3}],
            }
        ],
        "markers": markers,
        "output": {"path": str(out), "audioCodec": "none"},
    }


@pytest.mark.parametrize("suffix", ["mp4", "mov", "mkv"])
async def test_markers_are_written_as_chapters_and_returned(
    compiler: Running, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"chapters.{suffix}"
    markers = [{"time": 0, "title": "Intro"}, {"time": 1.5, "title": "Chapter 2"}, {"time": 2.5}]
    job = await render(compiler, project(marked(out, markers)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        read = [
            (float(c["start"] * c["time_base"]), float(c["end"] * c["time_base"]), c["metadata"].get("title"))
            for c in container.chapters()
        ]
    assert read == [(0.0, 1.5, "Intro"), (1.5, 2.5, "Chapter 2"), (2.5, 3.0, "Chapter 3")]
    assert [(c.time, c.title) for c in job.result.chapters] == [(0, "Intro"), (1.5, "Chapter 2"), (2.5, "")]


async def test_markers_past_the_end_or_in_a_container_without_chapters_are_refused(
    compiler: Running, tmp_path: Path
) -> None:
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(marked(tmp_path / "a.mp4", [{"time": 3.5}])))
    )
    assert [v.field for v in reply.violations] == ["markers[0].time"]
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(marked(tmp_path / "a.webm", [{"time": 1}])))
    )
    assert "markers" in {v.field for v in reply.violations}
