"""Text files under the allowed roots (subtitles) and a client's own files in the data directory
(user effects, effect collections): preview_data.proto's file RPCs."""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, PermissionDenied
from tstudio.media.v1 import preview_data_pb2 as pd

from tstudio_media.adapters.box_drawing import RelativeBox

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

MAX_TEXT_BYTES = 16 * 1024 * 1024
MAX_USER_FILE_BYTES = 1024 * 1024
USER_FILE_KINDS = ("effect", "effects-collection")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$")


def _invalid(field: str, problem: str, message: str | None = None) -> InvalidArgument:
    return InvalidArgument(message or f"{field} {problem}", field_violations=[FieldViolation(field, problem)])


def _check_extension(path: Path, extensions: list[str]) -> None:
    allowed = {e.lower().lstrip(".") for e in extensions if e.strip()}
    if allowed and path.suffix.lower().lstrip(".") not in allowed:
        raise _invalid("path", f"must end in one of {', '.join('.' + e for e in sorted(allowed))}")


def write_atomically(path: Path, data: bytes) -> None:
    """`data` under a temporary name beside `path`, synced, then renamed onto it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


MAX_BOXES = 256


def relative_boxes(boxes: Iterable[pd.LabeledBox]) -> list[RelativeBox]:
    """Checked boxes: finite, inside 0..1 (a box may reach the edge), labels of at most 64 characters."""
    checked = []
    for index, box in enumerate(boxes):
        if index >= MAX_BOXES:
            raise _invalid("boxes", f"at most {MAX_BOXES} boxes")
        values = (box.x, box.y, box.width, box.height)
        if (
            not all(math.isfinite(v) and 0 <= v <= 1 for v in values)
            or box.x + box.width > 1.001
            or box.y + box.height > 1.001
        ):
            raise _invalid(
                f"boxes[{index}]", "x, y, width and height are fractions of the picture (0..1) inside it"
            )
        checked.append(RelativeBox(box.x, box.y, box.width, box.height, box.label[:64]))
    return checked


class UserFilesRpc:
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps

    async def read_text(self, request: pd.ReadTextFileRequest) -> pd.ReadTextFileResponse:
        path = self._deps.roots.existing_file(request.path)
        _check_extension(path, list(request.extensions))

        def read() -> str:
            if path.stat().st_size > MAX_TEXT_BYTES:
                raise _invalid("path", f"is larger than {MAX_TEXT_BYTES // (1024 * 1024)} MiB")
            try:
                return path.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise _invalid("path", "is not UTF-8 text", "the file is not UTF-8 text") from None

        content = await self._deps.executor.run(read)
        return pd.ReadTextFileResponse(path=str(path), name=path.name, content=content)

    async def write_text(self, request: pd.WriteTextFileRequest) -> pd.WriteTextFileResponse:
        path = self._deps.roots.check(request.path)
        _check_extension(path, list(request.extensions))
        data = request.content.encode()
        if len(data) > MAX_TEXT_BYTES:
            raise _invalid("content", f"is larger than {MAX_TEXT_BYTES // (1024 * 1024)} MiB")

        def write() -> int:
            if path.exists() and not path.is_file():
                raise _invalid("path", "names a folder or a special file")
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
            return len(data)

        size = await self._deps.executor.run(write)
        return pd.WriteTextFileResponse(path=str(path), size_bytes=size)

    def _dir(self, kind: str) -> Path:
        base = self._deps.user_files_dir
        if base is None:
            raise FailedPrecondition("this media service keeps no user files", reason="NO_USER_FILES")
        if kind not in USER_FILE_KINDS:
            raise _invalid("kind", f"must be one of {', '.join(USER_FILE_KINDS)}")
        return base / kind

    def _own_file(self, raw: str) -> Path:
        base = self._deps.user_files_dir
        if base is None:
            raise FailedPrecondition("this media service keeps no user files", reason="NO_USER_FILES")
        if not raw or "\x00" in raw:
            raise _invalid("path", "is required")
        path = Path(os.path.abspath(raw)).resolve()
        root = base.resolve()
        if (
            not path.is_relative_to(root)
            or path.parent.parent != root
            or path.parent.name not in USER_FILE_KINDS
        ):
            raise PermissionDenied(
                "path is not one of the user files this service keeps",
                reason="NOT_A_USER_FILE",
                field_violations=[
                    FieldViolation("path", "must be a path ListUserFiles or SaveUserFile answered")
                ],
            )
        return path

    async def save(self, request: pd.SaveUserFileRequest) -> pd.SaveUserFileResponse:
        folder = self._dir(request.kind)
        name = request.name.removesuffix(".json")
        if not _NAME.match(name):
            raise _invalid(
                "name", "1-100 letters, digits, spaces, '_', '.' or '-', starting with a letter or digit"
            )
        data = request.content.encode()
        if len(data) > MAX_USER_FILE_BYTES:
            raise _invalid("content", f"is larger than {MAX_USER_FILE_BYTES // 1024} KiB")
        try:
            json.loads(request.content)
        except ValueError as exc:
            raise _invalid("content", f"is not JSON: {exc}") from None
        path = folder / f"{name}.json"

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)

        await self._deps.executor.run(write)
        return pd.SaveUserFileResponse(path=str(path))

    async def list(self, request: pd.ListUserFilesRequest) -> pd.ListUserFilesResponse:
        folder = self._dir(request.kind)

        def listing() -> list[str]:
            if not folder.is_dir():
                return []
            return sorted(str(p) for p in folder.iterdir() if p.suffix == ".json" and p.is_file())

        return pd.ListUserFilesResponse(paths=await self._deps.executor.run(listing))

    async def read(self, request: pd.ReadUserFileRequest) -> pd.ReadUserFileResponse:
        path = self._own_file(request.path)

        def read() -> str:
            if not path.is_file():
                raise NotFound(f"no such user file: {path.name}", reason="FILE_NOT_FOUND")
            return path.read_text(encoding="utf-8")

        return pd.ReadUserFileResponse(content=await self._deps.executor.run(read))

    async def delete(self, request: pd.DeleteUserFileRequest) -> pd.DeleteUserFileResponse:
        path = self._own_file(request.path)

        def delete() -> bool:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True

        return pd.DeleteUserFileResponse(deleted=await self._deps.executor.run(delete))
