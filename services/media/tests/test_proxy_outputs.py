"""Proxy outputs are checked before any work (issue 15, items 2 and 10): onto the source through a
symlinked folder or a hard link, a folder, a folder under a file, an over-long name. Each is refused
with its status and the `output_path` field; no temp file is left."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.media.v1 import media_pb2

from .conftest import Media, RunningMedia


@pytest.mark.parametrize(
    ("case", "code", "reason"),
    [
        ("symlinked_folder", grpc.StatusCode.INVALID_ARGUMENT, "OUTPUT_IS_SOURCE"),
        ("hard_link", grpc.StatusCode.INVALID_ARGUMENT, "OUTPUT_IS_SOURCE"),
        ("folder", grpc.StatusCode.INVALID_ARGUMENT, "OUTPUT_IS_DIRECTORY"),
        ("under_a_file", grpc.StatusCode.FAILED_PRECONDITION, "OUTPUT_FOLDER_MISSING"),
        ("long_name", grpc.StatusCode.INVALID_ARGUMENT, "OUTPUT_NAME_TOO_LONG"),
    ],
)
async def test_bad_proxy_outputs_are_refused_before_any_work(
    service: RunningMedia, media: Media, tmp_path: Path, case: str, code: grpc.StatusCode, reason: str
) -> None:
    source = tmp_path / "src" / "clip.mp4"
    source.parent.mkdir()
    shutil.copy(media.video, source)
    before = source.read_bytes()
    (tmp_path / "via").symlink_to(source.parent)
    os.link(source, tmp_path / "hard.mp4")
    (tmp_path / "a_file").write_bytes(b"")
    output = {
        "symlinked_folder": tmp_path / "via" / "clip.mp4",
        "hard_link": tmp_path / "hard.mp4",
        "folder": tmp_path / "src",
        "under_a_file": tmp_path / "a_file" / "p.mp4",
        "long_name": tmp_path / ("p" * 250 + ".mp4"),
    }[case]
    request = media_pb2.CreateProxyRequest(path=str(source), output_path=str(output), height=60)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        [r async for r in service.stub.CreateProxy(request, timeout=30)]
    error = error_details(caught.value)
    assert (error.code, error.reason) == (code, reason)
    assert [v.field for v in error.field_violations] == ["output_path"]
    assert source.read_bytes() == before
    assert not [p for p in tmp_path.rglob(".*.part")]
