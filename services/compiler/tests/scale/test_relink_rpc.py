"""FindMissingMedia / RelinkMedia through a real gRPC server (the servicer delegating to RelinkRpc,
as the compiler servicer will) and `tstudio relink` against it, or in-process when it cannot."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.paths import AllowedRoots
from svckit.server import GrpcService, ServerHandle, create_server
from svckit.settings import ServiceSettings
from svckit.testing import free_port, make_video
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2
from tstudio_cli.main import main as cli_main
from tstudio_compiler.scale.api.relink_rpc import RelinkRpc


class RelinkingServicer(compiler_pb2_grpc.CompilerServiceServicer):
    """The two methods the compiler servicer needs, delegating exactly as it should."""

    def __init__(self, relink: RelinkRpc) -> None:
        self.relink = relink

    async def FindMissingMedia(self, request: Any, context: Any) -> compiler_pb2.FindMissingMediaResponse:
        return await self.relink.find_missing_media(request)

    async def RelinkMedia(self, request: Any, context: Any) -> compiler_pb2.RelinkMediaResponse:
        return await self.relink.relink_media(request)


async def run_blocking(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


async def serve(servicer: Any) -> ServerHandle:
    handle = create_server(
        ServiceSettings(port=0),
        [
            GrpcService(
                "tstudio.compiler.v1.CompilerService",
                servicer,
                compiler_pb2_grpc.add_CompilerServiceServicer_to_server,
            )
        ],
        service="compiler",
    )
    await handle.start()
    await handle.set_serving(True)
    return handle


@pytest.fixture
async def relink_server(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    handle = await serve(RelinkingServicer(RelinkRpc(AllowedRoots([tmp_path]), run_blocking)))
    yield handle
    await handle.stop(0)


def write_project(folder: Path) -> Path:
    make_video(folder / "media" / "a.mp4", seconds=2.0, colors=[(255, 0, 0)], audio_hz=None)
    make_video(folder / "media" / "b.mp4", seconds=1.0, colors=[(0, 0, 255)], audio_hz=None)
    project = {
        "name": "relink",
        "tracks": [
            {
                "id": "v1",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "c1", "source": {"path": "media/a.mp4"}, "sourceOut": 2},
                    {"id": "c2", "source": {"path": "media/b.mp4"}, "start": 2, "sourceOut": 1},
                ],
            }
        ],
    }
    path = folder / "project.json"
    path.write_text(json.dumps(project))
    return path


def load(project_file: Path) -> project_pb2.Project:
    from google.protobuf import json_format

    project = json_format.Parse(project_file.read_text(), project_pb2.Project())
    project.base_dir = str(project_file.parent)
    return project


def move_media_away(tmp_path: Path) -> Path:
    library = tmp_path / "library"
    (library / "2026").mkdir(parents=True)
    shutil.move(tmp_path / "proj/media/a.mp4", library / "2026" / "take-07.mp4")
    shutil.move(tmp_path / "proj/media/b.mp4", library / "b.mp4")
    make_video(library / "other" / "a.mp4", seconds=2.0, colors=[(0, 255, 0)], audio_hz=None)
    return library


async def test_relink_cli_through_the_server_finds_moved_and_renamed_media_and_applies(
    tmp_path: Path, relink_server: ServerHandle
) -> None:
    project_file = write_project(tmp_path / "proj")
    address = f"127.0.0.1:{relink_server.port}"
    async with grpc.aio.insecure_channel(address) as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        # Seeing the project while its media exist records their fingerprints beside it.
        assert not (
            await stub.FindMissingMedia(compiler_pb2.FindMissingMediaRequest(project=load(project_file)))
        ).missing
        library = move_media_away(tmp_path)
        missing = (
            await stub.FindMissingMedia(compiler_pb2.FindMissingMediaRequest(project=load(project_file)))
        ).missing
        assert sorted(m.path for m in missing) == ["media/a.mp4", "media/b.mp4"]
        assert missing[0].fields[0].startswith("tracks[0].clips[")

    code = await asyncio.to_thread(
        cli_main, ["relink", str(project_file), "--search", str(library), "--address", address, "--apply"]
    )
    assert code == 0
    clips = json.loads(project_file.read_text())["tracks"][0]["clips"]
    assert clips[0]["source"]["path"] == str(library / "2026" / "take-07.mp4")
    assert clips[1]["source"]["path"] == str(library / "b.mp4")
    assert "baseDir" not in json.loads(project_file.read_text())
    assert (
        json.loads((tmp_path / "proj" / "project.json.bak").read_text())["tracks"][0]["clips"][0]["source"][
            "path"
        ]
        == "media/a.mp4"
    )


async def test_search_roots_outside_the_allowed_roots_are_refused(
    tmp_path: Path, relink_server: ServerHandle
) -> None:
    project_file = write_project(tmp_path / "proj")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{relink_server.port}") as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RelinkMedia(
                compiler_pb2.RelinkMediaRequest(project=load(project_file), search_roots=["/etc"])
            )
        details = error_details(caught.value)
        assert details.code is grpc.StatusCode.PERMISSION_DENIED
        assert details.field_violations[0].field == "search_roots[0]"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RelinkMedia(compiler_pb2.RelinkMediaRequest(project=load(project_file)))
        assert error_details(caught.value).code is grpc.StatusCode.INVALID_ARGUMENT


async def test_cli_relinks_in_process_when_the_compiler_does_not_serve_relink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project_file = write_project(tmp_path / "proj")
    await asyncio.to_thread(cli_main, ["relink", str(project_file), "--search", str(tmp_path), "--local"])
    library = move_media_away(tmp_path)
    # A compiler that predates these RPCs answers UNIMPLEMENTED.
    handle = await serve(compiler_pb2_grpc.CompilerServiceServicer())
    try:
        code = await asyncio.to_thread(
            cli_main,
            ["relink", str(project_file), "--search", str(library), "--address", f"127.0.0.1:{handle.port}"],
        )
    finally:
        await handle.stop(0)
    out, err = capsys.readouterr()
    assert code == 0
    assert "does not serve RelinkMedia" in err
    assert f"-> {library / '2026' / 'take-07.mp4'}" in out
    assert "other" not in out, "the impostor with the same name was proposed"
    assert json.loads(project_file.read_text())["tracks"][0]["clips"][0]["source"]["path"] == "media/a.mp4"


async def test_cli_reports_unresolved_media_with_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project_file = write_project(tmp_path / "proj")
    (tmp_path / "proj/media/a.mp4").unlink()
    (tmp_path / "empty").mkdir()
    code = await asyncio.to_thread(
        cli_main,
        [
            "relink",
            str(project_file),
            "--search",
            str(tmp_path / "empty"),
            "--address",
            f"127.0.0.1:{free_port()}",
        ],
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "is not reachable" in err
    assert "missing  media/a.mp4" in out


async def test_cli_refuses_a_project_file_that_is_not_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"tracks": "nope"}')
    code = await asyncio.to_thread(cli_main, ["relink", str(bad), "--search", str(tmp_path), "--local"])
    assert code == 2
    assert "cannot read" in capsys.readouterr().err


async def test_media_moved_inside_the_project_folder_is_written_back_relative(tmp_path: Path) -> None:
    project_file = write_project(tmp_path / "proj")
    await asyncio.to_thread(cli_main, ["relink", str(project_file), "--search", str(tmp_path), "--local"])
    (tmp_path / "proj" / "footage").mkdir()
    shutil.move(tmp_path / "proj/media/a.mp4", tmp_path / "proj/footage/a-final.mp4")
    code = await asyncio.to_thread(
        cli_main, ["relink", str(project_file), "--search", str(tmp_path / "proj"), "--local", "--apply"]
    )
    assert code == 0
    clips = json.loads(project_file.read_text())["tracks"][0]["clips"]
    assert clips[0]["source"]["path"] == "footage/a-final.mp4"
    assert clips[1]["source"]["path"] == "media/b.mp4"
