"""The preview data store and media file listing (preview_data.proto): real gRPC server, real
SQLite in the data dir, a restart in between."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from svckit.grpc_errors import error_details
from svckit.testing import make_video
from tstudio.media.v1 import preview_data_pb2 as pd

from .conftest import media_settings, start_media


def sections(**values: object) -> pd.SavePreviewDataRequest:
    request = pd.SavePreviewDataRequest()
    request.sections.update(values)
    return request


async def test_preview_data_survives_a_restart_and_sections_merge(tmp_path: Path) -> None:
    settings = media_settings(tmp_path)
    async for media in start_media(settings):
        first = sections(browser_thumbnail={"width": 80, "base64_data": "AAA"})
        first.file_id, first.file_path = "f1", "/videos/a.mp4"
        await media.stub.SavePreviewData(first)
        second = sections(timeline_previews=[{"timestamp": 1.5, "path": ""}])
        second.file_id = "f1"  # no path: the stored one is kept
        saved = await media.stub.SavePreviewData(second)
        assert set(saved.data.sections.keys()) == {"browser_thumbnail", "timeline_previews"}
    assert (tmp_path / "data" / "preview-data.sqlite3").exists()
    async for media in start_media(settings):
        got = await media.stub.GetPreviewData(pd.GetPreviewDataRequest(file_id="f1"))
        assert got.found and got.data.file_path == "/videos/a.mp4"
        assert got.data.sections["browser_thumbnail"]["width"] == 80
        assert got.data.sections["timeline_previews"][0]["timestamp"] == 1.5
        assert list((await media.stub.ListPreviewData(pd.ListPreviewDataRequest())).file_ids) == ["f1"]
        only = pd.ListPreviewDataRequest(section="timeline_frames")
        assert list((await media.stub.ListPreviewData(only)).file_ids) == []
        dropped = await media.stub.DeletePreviewData(
            pd.DeletePreviewDataRequest(file_id="f1", sections=["timeline_previews"])
        )
        assert dropped.deleted
        got = await media.stub.GetPreviewData(pd.GetPreviewDataRequest(file_id="f1"))
        assert set(got.data.sections.keys()) == {"browser_thumbnail"}
        assert (await media.stub.DeletePreviewData(pd.DeletePreviewDataRequest(file_id="f1"))).deleted
        assert not (await media.stub.GetPreviewData(pd.GetPreviewDataRequest(file_id="f1"))).found


async def test_export_is_atomic_and_import_refuses_other_files(tmp_path: Path) -> None:
    async for media in start_media(media_settings(tmp_path, allowed_roots=(tmp_path,))):
        request = sections(browser_thumbnail={"width": 1})
        request.file_id = "f2"
        await media.stub.SavePreviewData(request)
        export = tmp_path / "out" / "previews.json"
        assert (
            await media.stub.ExportPreviewData(pd.ExportPreviewDataRequest(path=str(export)))
        ).records == 1
        assert [p.name for p in export.parent.iterdir()] == ["previews.json"]  # no partial left
        await media.stub.DeletePreviewData(pd.DeletePreviewDataRequest(file_id="f2"))
        assert (
            await media.stub.ImportPreviewData(pd.ImportPreviewDataRequest(path=str(export)))
        ).records == 1
        assert (await media.stub.GetPreviewData(pd.GetPreviewDataRequest(file_id="f2"))).found
        bad = tmp_path / "bad.json"
        bad.write_text('{"format": "tstudio.media.preview-data/1", "records": [{"file_id": 3}]}')
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await media.stub.ImportPreviewData(pd.ImportPreviewDataRequest(path=str(bad)))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "records[0]" in error_details(refused.value).message
        with pytest.raises(grpc.aio.AioRpcError) as outside:
            await media.stub.ExportPreviewData(pd.ExportPreviewDataRequest(path="/etc/previews.json"))
        assert outside.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as no_id:
            await media.stub.GetPreviewData(pd.GetPreviewDataRequest(file_id=""))
        assert error_details(no_id.value).field_violations[0].field == "file_id"


async def test_list_media_files_lists_without_probing(tmp_path: Path) -> None:
    make_video(tmp_path / "lib" / "a.mp4", seconds=0.2, width=32, height=32, fps=10)
    make_video(tmp_path / "lib" / "deep" / "b.mkv", seconds=0.2, width=32, height=32, fps=10)
    (tmp_path / "lib" / "junk.mp4").write_bytes(b"x" * 10)
    (tmp_path / "lib" / "readme.txt").write_text("x")
    async for media in start_media(media_settings(tmp_path)):
        flat = await media.stub.ListMediaFiles(pd.ListMediaFilesRequest(root=str(tmp_path / "lib")))
        assert sorted(f.name for f in flat.files) == ["a.mp4", "junk.mp4"]
        junk = next(f for f in flat.files if f.name == "junk.mp4")
        assert (junk.extension, junk.size_bytes) == ("mp4", 10)
        deep = await media.stub.ListMediaFiles(
            pd.ListMediaFilesRequest(root=str(tmp_path / "lib"), recursive=True)
        )
        assert sorted(f.name for f in deep.files) == ["a.mp4", "b.mkv", "junk.mp4"]
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await media.stub.ListMediaFiles(pd.ListMediaFilesRequest(root=str(tmp_path / "nope")))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_text_files_stay_under_the_allowed_roots(tmp_path: Path) -> None:
    inside = tmp_path / "allowed"
    inside.mkdir()
    async for media in start_media(media_settings(tmp_path, allowed_roots=(inside,))):
        written = await media.stub.WriteTextFile(
            pd.WriteTextFileRequest(path=str(inside / "a" / "s.srt"), content="1\n", extensions=["srt"])
        )
        assert written.size_bytes == 2 and (inside / "a" / "s.srt").read_text() == "1\n"
        read = await media.stub.ReadTextFile(pd.ReadTextFileRequest(path=str(inside / "a" / "s.srt")))
        assert (read.name, read.content) == ("s.srt", "1\n")
        for call, request in (
            (media.stub.WriteTextFile, pd.WriteTextFileRequest(path=str(tmp_path / "out.srt"), content="x")),
            (media.stub.ReadTextFile, pd.ReadTextFileRequest(path=str(inside / ".." / "x.srt"))),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(request)
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        (inside / "latin1.srt").write_bytes("caf\xe9".encode("latin-1"))
        with pytest.raises(grpc.aio.AioRpcError) as not_utf8:
            await media.stub.ReadTextFile(pd.ReadTextFileRequest(path=str(inside / "latin1.srt")))
        assert not_utf8.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.aio.AioRpcError) as wrong_ext:
            await media.stub.WriteTextFile(
                pd.WriteTextFileRequest(path=str(inside / "x.mp4"), content="x", extensions=["srt"])
            )
        assert wrong_ext.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_user_files_survive_a_restart_and_cannot_escape(tmp_path: Path) -> None:
    settings = media_settings(tmp_path)
    async for media in start_media(settings):
        saved = await media.stub.SaveUserFile(
            pd.SaveUserFileRequest(kind="effect", name="glow", content='{"a": 1}')
        )
    async for media in start_media(settings):
        listed = await media.stub.ListUserFiles(pd.ListUserFilesRequest(kind="effect"))
        assert list(listed.paths) == [saved.path]
        assert (await media.stub.ReadUserFile(pd.ReadUserFileRequest(path=saved.path))).content == '{"a": 1}'
        for name in ("../x", "a/b", ".hidden", ""):
            with pytest.raises(grpc.aio.AioRpcError) as bad_name:
                await media.stub.SaveUserFile(pd.SaveUserFileRequest(kind="effect", name=name, content="{}"))
            assert bad_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        sneaky = str(Path(saved.path).parent / ".." / ".." / "preview-data.sqlite3")
        with pytest.raises(grpc.aio.AioRpcError) as escape:
            await media.stub.ReadUserFile(pd.ReadUserFileRequest(path=sneaky))
        assert escape.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as kind:
            await media.stub.ListUserFiles(pd.ListUserFilesRequest(kind="secrets"))
        assert error_details(kind.value).field_violations[0].field == "kind"
        assert (await media.stub.DeleteUserFile(pd.DeleteUserFileRequest(path=saved.path))).deleted
        assert not (await media.stub.DeleteUserFile(pd.DeleteUserFileRequest(path=saved.path))).deleted


async def test_annotated_thumbnail_draws_boxes_and_refuses_boxes_outside(tmp_path: Path) -> None:
    video = make_video(tmp_path / "flat.mp4", seconds=0.5, width=64, height=48, fps=10, audio_hz=None)
    async for media in start_media(media_settings(tmp_path)):
        box = pd.LabeledBox(x=0.25, y=0.25, width=0.5, height=0.5, label="person")
        drawn = await media.stub.AnnotatedThumbnail(
            pd.AnnotatedThumbnailRequest(path=str(video), time_seconds=0.1, width=64, boxes=[box])
        )
        assert drawn.image[:2] == b"\xff\xd8" and (drawn.width, drawn.height) == (64, 48)
        plain = await media.stub.AnnotatedThumbnail(
            pd.AnnotatedThumbnailRequest(path=str(video), time_seconds=0.1, width=64)
        )
        assert drawn.image != plain.image
        bad = pd.LabeledBox(x=0.8, y=0.1, width=0.5, height=0.1)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await media.stub.AnnotatedThumbnail(
                pd.AnnotatedThumbnailRequest(path=str(video), time_seconds=0.1, width=64, boxes=[box, bad])
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_details(refused.value).field_violations[0].field == "boxes[1]"
