"""Probe and thumbnail results through the on-disk cache: shared by the RPCs that return them
and by folder scans."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tstudio.media.v1 import media_pb2

from tstudio_media.api import convert
from tstudio_media.domain.picture_request import PictureSpec, SeekMode

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps


class CachedMedia:
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps

    async def probe(self, path: Path) -> media_pb2.MediaInfo:
        """`path` must already be checked against the allowed roots."""
        deps = self._deps

        async def compute() -> media_pb2.MediaInfo:
            return convert.media_info_to_proto(await deps.executor.run(deps.prober.probe, path))

        request = media_pb2.ProbeRequest(path=str(path))
        info, _ = await deps.cache.get_or_compute("probe", path, request, media_pb2.MediaInfo, compute)
        return info

    async def thumbnail(
        self, path: Path, seconds: float, spec: PictureSpec, mode: SeekMode
    ) -> media_pb2.ThumbnailResponse:
        """Keyed by the normalised request, so equivalent requests share one entry."""
        deps = self._deps

        async def compute() -> media_pb2.ThumbnailResponse:
            picture = await deps.executor.run(deps.pictures.thumbnail, path, seconds, spec, mode)
            return convert.thumbnail_to_proto(picture)

        key = media_pb2.ThumbnailRequest(
            path=str(path),
            time_seconds=seconds,
            width=spec.width,
            height=spec.height,
            format=convert.picture_format_to_proto(spec.format),
            quality=spec.quality,
            mode=convert.seek_mode_to_proto(mode),
        )
        reply, cached = await deps.cache.get_or_compute(
            "thumbnail", path, key, media_pb2.ThumbnailResponse, compute
        )
        reply.cached = cached
        return reply
