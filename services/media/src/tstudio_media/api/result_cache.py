"""Serialized responses cached by file identity and request, so a repeated thumbnail, filmstrip,
waveform or probe of an unchanged file is a disk read, and a changed file is never served stale."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from google.protobuf.message import Message
from svckit.executor import BlockingExecutor

from tstudio_media.domain.cache_key import FileIdentity, cache_key
from tstudio_media.domain.ports import ResultStore

M = TypeVar("M", bound=Message)


def file_identity(path: Path) -> FileIdentity:
    stat = os.stat(path)
    return FileIdentity(str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)


class ResultCache:
    def __init__(self, store: ResultStore | None, executor: BlockingExecutor) -> None:
        self._store = store
        self._executor = executor

    async def get_or_compute(
        self,
        kind: str,
        path: Path,
        request: Message,
        result_type: type[M],
        compute: Callable[[], Awaitable[M]],
    ) -> tuple[M, bool]:
        """(result, came from the cache). `request` must already name the resolved path."""
        if self._store is None:
            return await compute(), False
        before = file_identity(path)
        key = cache_key(kind, before, request.SerializeToString(deterministic=True))
        data = await self._executor.run(self._store.get, key)
        if data is not None:
            return result_type.FromString(data), True
        result = await compute()
        # A file rewritten while we read it may have given a mix of old and new: do not keep that.
        if file_identity(path) == before:
            await self._executor.run(self._store.put, key, result.SerializeToString())
        return result, False
