"""Open decoders kept between previews, so scrubbing continues decoding from where the last frame
was instead of opening and seeking the file again for every frame."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import av
from svckit.errors import DataLoss, Resource

from tstudio_compiler.adapters.image_sequence import is_pattern
from tstudio_compiler.adapters.source_decoding import frames_from
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.domain.plan import InputSpec

# A target this far past the decoder's position is decoded to; farther ones seek.
_CONTINUE_SECONDS = 2.0
# Decoding skips non-reference frames until this close to a target (frame threads lag a few frames).
_SKIP_BEFORE = 0.5


def _identity(path: str) -> tuple[int, int]:
    try:
        # A sequence pattern: its folder (which changes when images come or go).
        stat = os.stat(os.path.dirname(path) if is_pattern(path) else path)
    except OSError:  # gone or unreadable: opening it says which, with a proper status
        return (-1, -1)
    return stat.st_size, stat.st_mtime_ns


class _Decoder:
    def __init__(self, path: str, sources: SourceFiles, decoder: str = "") -> None:
        self.path = path
        self.decoder = decoder
        self.identity = _identity(path)
        self.container: Any = sources.open_container(path)
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.origin = (self.container.start_time or 0) / av.time_base
        self.frames: Any = None
        self.current: tuple[float, av.VideoFrame] | None = None
        self.upcoming: tuple[float, av.VideoFrame] | None = None

    def _seek(self, target: float) -> None:
        self.frames = frames_from(self.container, self.stream, target, self.origin, self.decoder, lead=0.0)
        self.current = self.upcoming = None

    def _next(self) -> tuple[float, av.VideoFrame] | None:
        return next(self.frames, None)

    def frame(self, target: float, limit: float) -> av.VideoFrame:
        """The latest frame starting before `limit` (the fps filter's choice for `target`)."""
        current, upcoming = self.current, self.upcoming
        if current is not None and current[0] < limit and (upcoming is None or upcoming[0] >= limit):
            return current[1]  # the same frame as last time
        if (
            current is None
            or self.frames is None
            or not current[0] <= target <= current[0] + _CONTINUE_SECONDS
        ):
            self._seek(target)
            self.upcoming = self._next()
        context = self.stream.codec_context
        while self.upcoming is not None and (self.current is None or self.upcoming[0] < limit):
            # Far from the target only reference frames matter: skipping the others shortens the
            # catch-up after a seek to a distant keyframe.
            far = self.upcoming[0] < target - _SKIP_BEFORE
            if (context.skip_frame == "NONREF") != far:
                context.skip_frame = "NONREF" if far else "DEFAULT"
            self.current = self.upcoming
            self.upcoming = self._next()
        if self.current is None:
            raise DataLoss(
                f"{self.path} has no picture", reason="MEDIA_CORRUPT", resources=[Resource("file", self.path)]
            )
        return self.current[1]

    def close(self) -> None:
        self.container.close()


class PreviewDecoders:
    """A few open decoders by path (least recently used closed first)."""

    def __init__(self, capacity: int = 8, sources: SourceFiles = ANY_SOURCE) -> None:
        self._capacity = capacity
        self._sources = sources
        self._decoders: OrderedDict[str, _Decoder] = OrderedDict()
        self._lock = threading.Lock()

    def frame(self, spec: InputSpec, local_frame: int) -> av.VideoFrame:
        target = spec.source_time(local_frame)
        limit = target + 0.5 / spec.fps * spec.speed - 1e-6
        decoder = self._take(spec.path, spec.decoder)
        try:
            # A decoder serves one preview at a time: it is out of the cache while in use.
            return decoder.frame(target, limit)
        except av.error.FFmpegError as exc:
            self._drop(spec.path)
            raise DataLoss(
                f"cannot decode {spec.path}", reason="MEDIA_CORRUPT", resources=[Resource("file", spec.path)]
            ) from exc
        finally:
            self._give_back(spec.path, decoder)

    def _take(self, path: str, name: str = "") -> _Decoder:
        with self._lock:
            decoder = self._decoders.pop(path, None)
        if decoder is not None and (decoder.identity != _identity(path) or decoder.decoder != name):
            decoder.close()  # the file was replaced since it was opened
            decoder = None
        return decoder if decoder is not None else _Decoder(path, self._sources, name)

    def _give_back(self, path: str, decoder: _Decoder) -> None:
        with self._lock:
            if path in self._decoders:
                # Another preview opened its own meanwhile; keep one.
                decoder.close()
                return
            self._decoders[path] = decoder
            while len(self._decoders) > self._capacity:
                _, oldest = self._decoders.popitem(last=False)
                oldest.close()

    def _drop(self, path: str) -> None:
        with self._lock:
            decoder = self._decoders.pop(path, None)
        if decoder is not None:
            decoder.close()

    def close(self) -> None:
        with self._lock:
            for decoder in self._decoders.values():
                decoder.close()
            self._decoders.clear()
