"""The media service's library RPCs (preview_data.proto): listing media files without probing
them, and the persistent per-file preview data store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from tstudio.media.v1 import preview_data_pb2 as pd

from tstudio_media.adapters.preview_store import PreviewRecord, PreviewStore
from tstudio_media.domain.scan_filter import scan_extensions

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

_FILE_ID = re.compile(r"^[^\x00-\x1f]{1,512}$")
_SECTION = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_EXPORT_BYTES = 256 * 1024 * 1024


def _file_id(value: str) -> str:
    if not _FILE_ID.match(value):
        raise InvalidArgument(
            "file_id is required", field_violations=[FieldViolation("file_id", "1-512 printable characters")]
        )
    return value


def _record_to_proto(record: PreviewRecord) -> pd.PreviewData:
    data = pd.PreviewData(file_id=record.file_id, file_path=record.file_path)
    data.sections.update(record.sections)
    seconds = int(record.updated_at)
    data.updated_at.CopyFrom(
        timestamp_pb2.Timestamp(seconds=seconds, nanos=int((record.updated_at - seconds) * 1e9))
    )
    return data


def _sections(struct: struct_pb2.Struct) -> dict[str, Any]:
    sections: dict[str, Any] = json_format.MessageToDict(struct)
    for name in sections:
        if not _SECTION.match(name):
            raise InvalidArgument(
                f"invalid section name {name!r}",
                field_violations=[
                    FieldViolation(f"sections.{name}", "1-64 letters, digits, '_', '.' or '-'")
                ],
            )
    return sections


class PreviewDataRpc:
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps

    def _store(self) -> PreviewStore:
        store = self._deps.preview_store
        if store is None:
            raise FailedPrecondition(
                "this media service has no preview data store", reason="NO_PREVIEW_STORE"
            )
        return store

    async def list_media_files(self, request: pd.ListMediaFilesRequest) -> pd.ListMediaFilesResponse:
        deps = self._deps
        root = deps.roots.check(request.root, field="root")
        if not root.is_dir():
            raise NotFound(f"no such folder: {request.root}", reason="FOLDER_NOT_FOUND")
        extensions = scan_extensions(request.extensions)

        def listing() -> list[pd.MediaFileEntry]:
            entries = []
            for path in deps.list_media(root, request.recursive, extensions, deps.roots):
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                entries.append(
                    pd.MediaFileEntry(
                        path=str(path),
                        name=path.name,
                        extension=path.suffix.lower().lstrip("."),
                        size_bytes=size,
                    )
                )
            return entries

        return pd.ListMediaFilesResponse(files=await deps.executor.run(listing))

    async def get(self, request: pd.GetPreviewDataRequest) -> pd.GetPreviewDataResponse:
        store, file_id = self._store(), _file_id(request.file_id)
        record = await self._deps.executor.run(store.get, file_id)
        if record is None:
            return pd.GetPreviewDataResponse(found=False)
        return pd.GetPreviewDataResponse(found=True, data=_record_to_proto(record))

    async def save(self, request: pd.SavePreviewDataRequest) -> pd.SavePreviewDataResponse:
        store, file_id = self._store(), _file_id(request.file_id)
        sections = _sections(request.sections)
        record = await self._deps.executor.run(store.save, file_id, request.file_path, sections)
        return pd.SavePreviewDataResponse(data=_record_to_proto(record))

    async def delete(self, request: pd.DeletePreviewDataRequest) -> pd.DeletePreviewDataResponse:
        store = self._store()
        if request.all_files and request.file_id:
            raise InvalidArgument(
                "all_files and file_id exclude each other",
                field_violations=[FieldViolation("file_id", "must be empty with all_files")],
            )
        file_id = None if request.all_files else _file_id(request.file_id)
        deleted = await self._deps.executor.run(store.delete, file_id, list(request.sections))
        return pd.DeletePreviewDataResponse(deleted=deleted)

    async def list(self, request: pd.ListPreviewDataRequest) -> pd.ListPreviewDataResponse:
        store = self._store()
        ids = await self._deps.executor.run(store.file_ids, request.section, request.file_path)
        size = await self._deps.executor.run(store.stored_bytes, request.section)
        return pd.ListPreviewDataResponse(file_ids=ids, stored_bytes=size)

    async def export(self, request: pd.ExportPreviewDataRequest) -> pd.ExportPreviewDataResponse:
        store = self._store()
        path = self._deps.roots.check(request.path)
        if path.is_dir():
            raise InvalidArgument(
                "path is a folder", field_violations=[FieldViolation("path", "must name a file")]
            )
        return pd.ExportPreviewDataResponse(records=await self._deps.executor.run(store.export_to, path))

    async def import_(self, request: pd.ImportPreviewDataRequest) -> pd.ImportPreviewDataResponse:
        store = self._store()
        path = self._deps.roots.existing_file(request.path)

        def load() -> int:
            if path.stat().st_size > MAX_EXPORT_BYTES:
                raise InvalidArgument("the file is too large for a preview data export", reason="TOO_LARGE")
            try:
                document = json.loads(Path(path).read_text(encoding="utf-8"))
                return store.import_from(document)
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidArgument(
                    f"not a preview data export: {exc}",
                    reason="INVALID_EXPORT",
                    field_violations=[FieldViolation("path", str(exc)[:200])],
                ) from None

        return pd.ImportPreviewDataResponse(records=await self._deps.executor.run(load))
