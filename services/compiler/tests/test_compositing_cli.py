"""Issue 19 through the CLI: `tstudio render` against the compiler running as a process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import av
import numpy as np
from svckit.testing import make_video

from .test_cli import TSTUDIO, server, server_process  # noqa: F401  (fixtures)


async def tstudio_render(project_file: Path, address: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *TSTUDIO, "render", str(project_file), "--server", address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_cli_renders_a_cover_fit_blend_and_gif_and_reports_a_trim_past_the_end(
    server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    make_video(tmp_path / "wide.mp4", seconds=1.0, width=96, height=54, colors=((255, 255, 255),))
    edit = {
        "settings": {"width": 54, "height": 96, "fps": 10},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "w", "source": {"path": "wide.mp4"}, "start": 0, "sourceOut": 0.5, "fit": "cover"}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY",
             "clips": [{"id": "m", "source": {"color": {"color": "#ff8000"}}, "start": 0, "duration": 0.5,
                        "blendMode": "multiply"}]},
        ],
        "output": {"path": "out.gif"},
    }  # fmt: skip
    project_file = tmp_path / "edit.json"
    project_file.write_text(json.dumps(edit))
    code, stdout, stderr = await tstudio_render(project_file, server)
    assert code == 0, stderr
    with av.open(stdout.strip()) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 5
    # white x orange = orange everywhere (cover left no bars)
    assert np.abs(frames[2].reshape(-1, 3).astype(int) - (255, 128, 0)).max() <= 4

    edit["tracks"][0]["clips"][0]["sourceOut"] = 3
    project_file.write_text(json.dumps(edit))
    code, _, stderr = await tstudio_render(project_file, server)
    assert code == 1
    assert "FAILED_PRECONDITION" in stderr and "tracks[0].clips[0].source_out" in stderr, stderr
