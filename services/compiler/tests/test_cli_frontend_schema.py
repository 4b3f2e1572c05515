"""`tstudio render` handed a Timeline Studio project file (the frontend's ProjectSchema)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import av
import pytest

from .conftest import Media
from .test_cli import TSTUDIO, server_process  # noqa: F401 (a fixture)
from .timeline_studio_schema import animation, clip, schema, subtitle, track


@pytest.fixture
def address(server_process: tuple[str, asyncio.subprocess.Process]) -> str:  # noqa: F811
    return server_process[0]


async def tstudio_render(address: str, project_file: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *TSTUDIO,
        "render",
        str(project_file),
        "--server",
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_a_frontend_project_file_renders_beside_itself(
    address: str, media: Media, tmp_path: Path
) -> None:
    shutil.copy(media.red_green, tmp_path / "cam.mp4")
    data = schema(
        timeline={"fps": 30, "resolution": [320, 180], "sample_rate": 48000},
        tracks=[track("v", "Video", [clip("a", "cam.mp4", 0, 1.5)])],
        subtitles=[subtitle("s", "Hi", 0, 1, [animation("in", "FadeIn", 0.2)])],
    )
    (tmp_path / "trip.json").write_text(json.dumps(data))
    code, stdout, stderr = await tstudio_render(address, tmp_path / "trip.json")
    assert code == 0, stderr
    assert stdout.strip() == str(tmp_path / "trip.mp4")
    assert "note: subtitles[0].style.shadow_color" in stderr
    with av.open(stdout.strip()) as container:
        assert container.streams.video[0].frames == 45


async def test_a_frontend_project_that_cannot_render_names_its_field(address: str, tmp_path: Path) -> None:
    data = schema(subtitles=[subtitle("s", "Hi", 0, 1, [animation("b", "Bounce", 0.2)])])
    (tmp_path / "bad.json").write_text(json.dumps(data))
    code, _, stderr = await tstudio_render(address, tmp_path / "bad.json")
    assert code == 1
    assert "subtitles[0].animations[0].animation_type" in stderr
    assert not (tmp_path / "bad.mp4").exists()
