"""Path games against the compiler over gRPC (issue 15, items 1-3 and 10): FIFOs and other
non-regular files, outputs onto sources through symlinks, sources swapped for symlinks while a job
waits, bad output locations. Each is refused with its status and field path; the service keeps serving."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, project, start_compiler
from .test_errors import one_clip
from .test_jobs import long_edit
from .test_render import render

CLIP = "tracks[0].clips[0].source.path"


@pytest.fixture
async def rooted(tmp_path: Path, media: Media):  # type: ignore[no-untyped-def]
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(media.red_green, root / "clip.mp4")
    async for running in start_compiler(tmp_path, allowed_roots=(root,), max_queued_renders=4):
        yield running, root


async def validate(running: Running, edit: dict) -> compiler_pb2.ValidateProjectResponse:  # type: ignore[type-arg]
    request = compiler_pb2.ValidateProjectRequest(project=project(edit))
    return await asyncio.wait_for(running.stub.ValidateProject(request), 20)


async def test_a_fifo_source_is_refused_at_once_and_the_service_keeps_serving(rooted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    running, root = rooted
    os.mkfifo(root / "pipe.mp4")
    edit = one_clip(str(root / "pipe.mp4"), root / "out.mp4")
    for _ in range(6):  # more than the executor's workers: none of them may be left blocked
        started = time.perf_counter()
        reply = await validate(running, edit)
        print(f"FIFO refused by ValidateProject in {(time.perf_counter() - started) * 1000:.1f} ms")
        assert not reply.valid
        assert [v.field for v in reply.violations] == [CLIP]
        assert "FIFO" in reply.violations[0].description
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asyncio.wait_for(render(running, project(edit)), 20)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error_details(caught.value).field_violations] == [CLIP]
    # Still serving real work.
    job = await asyncio.wait_for(render(running, project(one_clip("clip.mp4", root / "ok.mp4"), root)), 60)
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error


async def test_a_device_source_is_refused(compiler: Running, tmp_path: Path) -> None:
    reply = await validate(compiler, one_clip("/dev/zero", tmp_path / "out.mp4"))
    assert [v.field for v in reply.violations] == [CLIP]
    assert "device" in reply.violations[0].description


async def test_a_render_cannot_overwrite_its_source_through_a_symlinked_folder(
    rooted,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    running, root = rooted
    (root / "via").symlink_to(root)
    before = (root / "clip.mp4").read_bytes()
    edit = one_clip(str(root / "clip.mp4"), root / "via" / "clip.mp4", duration=1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(running, project(edit))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = error_details(caught.value)
    assert [v.field for v in details.field_violations] == ["output.path"]
    assert details.reason == "OUTPUT_IS_SOURCE"
    os.link(root / "clip.mp4", root / "hardlink.mp4")
    with pytest.raises(grpc.aio.AioRpcError) as hard:
        await render(running, project(one_clip(str(root / "clip.mp4"), root / "hardlink.mp4", duration=1)))
    assert hard.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (root / "clip.mp4").read_bytes() == before


async def test_a_source_swapped_for_a_symlink_while_queued_is_not_read(
    rooted,
    media: Media,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    running, root = rooted
    secret = tmp_path / "outside.mp4"
    shutil.copy(media.blue_yellow, secret)
    (root / "swap.mp4").write_bytes((root / "clip.mp4").read_bytes())
    blocker = await running.stub.SubmitRender(
        compiler_pb2.SubmitRenderRequest(project=project(long_edit(media, root / "long.mp4")))
    )
    queued = await running.stub.SubmitRender(
        compiler_pb2.SubmitRenderRequest(project=project(one_clip(str(root / "swap.mp4"), root / "out.mp4")))
    )
    assert queued.job.status == compiler_pb2.JOB_STATUS_QUEUED
    (root / "swap.mp4").unlink()
    (root / "swap.mp4").symlink_to(secret)
    await running.stub.CancelRender(compiler_pb2.CancelRenderRequest(job_id=blocker.job.id))
    final = None
    async for reply in running.stub.WatchRender(compiler_pb2.WatchRenderRequest(job_id=queued.job.id)):
        final = reply.job
    assert final is not None
    assert final.status == compiler_pb2.JOB_STATUS_FAILED
    assert "allowed roots" in final.error
    assert not (root / "out.mp4").exists()


@pytest.mark.parametrize(
    ("where", "code", "reason"),
    [
        ("folder", grpc.StatusCode.INVALID_ARGUMENT, "OUTPUT_IS_DIRECTORY"),
        ("under_a_file", grpc.StatusCode.FAILED_PRECONDITION, "OUTPUT_FOLDER_MISSING"),
        ("long_name", grpc.StatusCode.INVALID_ARGUMENT, "OUTPUT_NAME_TOO_LONG"),
    ],
)
async def test_bad_output_locations_are_refused_before_any_work(
    rooted,
    where: str,
    code: grpc.StatusCode,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    running, root = rooted
    (root / "a_file").write_bytes(b"")
    (root / "a_folder").mkdir()
    output = {
        "folder": root / "a_folder",
        "under_a_file": root / "a_file" / "out.mp4",
        "long_name": root / ("n" * 250 + ".mp4"),
    }[where]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.SubmitRender(
            compiler_pb2.SubmitRenderRequest(project=project(one_clip("clip.mp4", output), root))
        )
    assert caught.value.code() == code
    details = error_details(caught.value)
    assert details.reason == reason
    assert [v.field for v in details.field_violations] == ["output.path"]
    jobs = await running.stub.ListRenders(compiler_pb2.ListRendersRequest())
    assert not jobs.jobs  # refused before a job existed
