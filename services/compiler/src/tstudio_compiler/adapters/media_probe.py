"""Source facts the planner needs (length, streams, still image or not), read with PyAV."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

import av
from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument, Resource

from tstudio_compiler.adapters.image_sequence import (
    BASE_FPS,
    frame_count,
    is_sequence,
    open_media,
    pattern_of,
)
from tstudio_compiler.domain.sources import SourceInfo

log = logging.getLogger(__name__)

_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe")


def probe(path: str) -> SourceInfo:
    """Raises `av.error.FFmpegError` for unreadable files (see `probe_all`)."""
    if is_sequence(path):
        return probe_sequence(path)
    with av.open(path, "r") as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        fmt = container.format.name
        is_image = video is not None and (fmt in _IMAGE_FORMATS or fmt.endswith("_pipe")) and audio is None
        duration = 0.0
        if not is_image:
            if container.duration is not None:
                duration = container.duration / av.time_base
            else:
                for stream in (video, audio):
                    if stream is not None and stream.duration is not None and stream.time_base:
                        duration = max(duration, float(stream.duration * stream.time_base))
        if video is not None and not is_image:
            # Decoding one frame proves the stream is readable before a job starts on it.
            for _ in container.decode(video):
                break
        return SourceInfo(
            duration=duration,
            has_video=video is not None,
            has_audio=audio is not None,
            is_image=is_image,
            width=video.codec_context.width if video is not None else 0,
            height=video.codec_context.height if video is not None else 0,
        )


def probe_sequence(path: str) -> SourceInfo:
    """Numbered images (a pattern or a folder): a picture-only source at image2's 25 fps."""
    pattern = pattern_of(path)
    count = frame_count(pattern)
    with open_media(pattern) as container:
        video = container.streams.video[0]
        for _ in container.decode(video):
            break
        return SourceInfo(
            duration=count / BASE_FPS,
            has_video=True,
            has_audio=False,
            width=video.codec_context.width,
            height=video.codec_context.height,
            sequence=pattern,
            frame_count=count,
        )


def probe_all(paths: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, SourceInfo]:
    """Probe every (field path, file path); missing files are reported together as
    FAILED_PRECONDITION and unreadable ones as INVALID_ARGUMENT, each naming every file."""
    items = list(paths.items()) if isinstance(paths, Mapping) else list(paths)
    infos: dict[str, SourceInfo] = {}
    missing: list[tuple[str, str]] = []
    broken: list[tuple[str, str, str]] = []
    for field, path in items:
        if path in infos:
            continue
        try:
            infos[path] = probe(path)
        except (FileNotFoundError, av.error.FileNotFoundError):
            missing.append((field, path))
        except IsADirectoryError:
            broken.append((field, path, "is a directory"))
        except (av.error.FFmpegError, OSError, StopIteration) as exc:
            log.info("cannot read %s: %s", path, exc)
            broken.append((field, path, "not a readable media file"))
    if missing:
        names = ", ".join(sorted({p for _, p in missing}))
        raise FailedPrecondition(
            f"missing media: {names}",
            reason="MEDIA_MISSING",
            field_violations=[FieldViolation(f, f"no such file: {p}") for f, p in missing],
            resources=[Resource("file", p, "missing") for _, p in missing],
        )
    if broken:
        raise InvalidArgument(
            "unreadable media: " + ", ".join(sorted({p for _, p, _ in broken})),
            reason="MEDIA_UNREADABLE",
            field_violations=[FieldViolation(f, f"{why}: {p}") for f, p, why in broken],
            resources=[Resource("file", p, why) for _, p, why in broken],
        )
    return infos


class PyAvProber:
    """`SourceProber` over PyAV, remembering files by (path, size, mtime) so previews and re-renders
    of an edited timeline do not reopen every source."""

    def __init__(self, capacity: int = 512) -> None:
        self._cache: OrderedDict[tuple[str, int, int], SourceInfo] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def probe_all(self, paths: Mapping[str, str]) -> dict[str, SourceInfo]:
        known: dict[str, SourceInfo] = {}
        unknown: dict[str, str] = {}
        keys: dict[str, tuple[str, int, int]] = {}
        for field, path in paths.items():
            try:
                stat = os.stat(path)
            except OSError:
                unknown[field] = path
                continue
            key = (path, stat.st_size, stat.st_mtime_ns)
            with self._lock:
                info = self._cache.get(key)
            if info is None:
                unknown[field] = path
                keys[path] = key
            else:
                known[path] = info
        found = probe_all(unknown) if unknown else {}
        with self._lock:
            for path, info in found.items():
                if path in keys:
                    self._cache[keys[path]] = info
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return {**known, **found}
