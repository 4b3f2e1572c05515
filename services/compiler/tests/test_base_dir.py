"""Relative paths over gRPC: the request's baseDir, else COMPILER_BASE_DIR, never the server's cwd."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.demo_media import write_demo

from .conftest import project, start_compiler


async def test_relative_paths_use_the_service_base_dir_when_the_request_has_none(tmp_path: Path) -> None:
    folder = write_demo(tmp_path / "demo", width=160, height=90).parent
    data = json.loads((folder / "demo.json").read_text())
    async for running in start_compiler(tmp_path, base_dir=str(folder)):
        checked = await running.stub.ValidateProject(
            compiler_pb2.ValidateProjectRequest(project=project(data))
        )
        assert checked.valid, [(v.field, v.description) for v in checked.violations]
        frame = await running.stub.RenderFrame(
            compiler_pb2.RenderFrameRequest(
                project=project(data), time=1.0, format=compiler_pb2.IMAGE_FORMAT_PNG
            )
        )
        assert frame.image.startswith(b"\x89PNG")


async def test_relative_paths_without_any_base_are_refused_with_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_demo(tmp_path / "demo", width=160, height=90).parent
    monkeypatch.chdir(folder)  # the old behaviour found the media here
    data = json.loads((folder / "demo.json").read_text())
    async for running in start_compiler(tmp_path):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.RenderFrame(compiler_pb2.RenderFrameRequest(project=project(data), time=1.0))
        details = error_details(caught.value)
        assert details.code is grpc.StatusCode.INVALID_ARGUMENT
        fields = [v.field for v in details.field_violations]
        assert any(f.startswith("tracks[0].clips[0].source") for f in fields), fields
