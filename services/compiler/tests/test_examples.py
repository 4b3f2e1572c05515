"""Every timeline in examples/ validates and renders (small, in the preview profile) on the media
`tstudio demo` writes, read the way `tstudio render` reads it (short enum names, relative paths)."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import pytest
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.demo_media import write_demo
from tstudio_cli.project_file import load_project

from .conftest import Running

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
# The kinds of timeline issue 16 asks for, each one file.
WANTED = {
    "slideshow-with-music",
    "interview-lower-third",
    "vertical-social-clip",
    "picture-in-picture",
    "split-screen",
    "captions",
    "colour-grade",
    "speed-change",
}


def test_the_examples_cover_the_common_edits() -> None:
    assert WANTED <= set(NAMES)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    write_demo(root / "demo", width=160, height=90)
    shutil.copytree(EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("out"))
    return root


@pytest.mark.parametrize("name", NAMES)
async def test_example_renders(name: str, media: Path, compiler: Running) -> None:
    project = load_project(media / "examples" / f"{name}.json", preview=True)
    # A fifth of the project size keeps the test fast; the timeline is the same.
    project.output.width = max(16, project.settings.width // 5 // 2 * 2)
    project.output.height = max(16, project.settings.height // 5 // 2 * 2)
    checked = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project))
    assert not checked.violations, [(v.field, v.description) for v in checked.violations]
    job = None
    request = compiler_pb2.RenderRequest(project=project, profile=compiler_pb2.RENDER_PROFILE_PREVIEW)
    async for reply in compiler.stub.Render(request):
        job = reply.job
    assert job is not None and job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job and job.error
    output = Path(job.result.output_path)
    assert output.name == f"{name}.preview.mp4"
    with av.open(str(output)) as container:
        assert container.streams.video[0].frames == job.result.frames > 0
