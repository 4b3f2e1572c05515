"""Reading a project file (tstudio.compiler.v1.Project as JSON) for the commands that send one."""

from __future__ import annotations

from pathlib import Path

from svckit.json_input import parse_json
from tstudio.compiler.v1 import project_pb2

PREVIEW_SUFFIX = ".preview"


def load_project(path: Path, output: Path | None = None, preview: bool = False) -> project_pb2.Project:
    """The project file as a message. Relative paths in it resolve against the file's folder
    (sent as `baseDir`); `output` overrides `output.path`; a preview without `output` goes beside the
    project's output with a `.preview` suffix (`out.mp4` -> `out.preview.mp4`), never over it."""
    project = parse_json(path.read_text(), project_pb2.Project())
    folder = path.resolve().parent
    project.base_dir = str(folder / project.base_dir)  # an absolute base_dir stays as it is
    if output is not None:
        project.output.path = str(output.resolve())
    elif preview and project.output.path:
        project.output.path = str(preview_path(Path(project.base_dir) / project.output.path))
    return project


def preview_path(final: Path) -> Path:
    """Where a preview of the render to `final` goes."""
    return final.with_name(final.stem + PREVIEW_SUFFIX + final.suffix)
