"""Source facts the planner needs (length, streams, still image or not), read with PyAV."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
from svckit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Resource,
    ResourceExhausted,
    ServiceError,
)
from svckit.source_description import SourceDescription, describe_container

from tstudio_compiler.adapters.image_sequence import BASE_FPS, frame_count, is_sequence, pattern_of
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.domain.sources import SourceInfo

log = logging.getLogger(__name__)

_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe")


def probe(path: str, sources: SourceFiles = ANY_SOURCE, field: str = "source.path") -> SourceInfo:
    """Raises `av.error.FFmpegError` or a svckit error for unreadable files, and for paths that are
    not regular files under a root (see `probe_all`)."""
    if is_sequence(path):
        return probe_sequence(path, sources, field)
    with sources.open(path, field) as container:
        video = container.streams.video[0] if container.streams.video else None
        if video is not None and not _within_budget(video, sources):
            return _over_budget(container, video, path, sources, field)
        # Decodes the first frame of the shown picture: proves the stream readable before a job
        # starts on it, and says how it must be shown (frame rate regularity is not needed here).
        shown = describe_container(container, Path(path), measure_timing=False)
        # A still picture has no length of its own (a cover picture does not make sound a still).
        still = shown.still and shown.has_video and not shown.has_audio
        duration = shown.duration if not still else 0.0
        if not duration and not still:
            for stream in (*container.streams.video, *container.streams.audio):
                if stream.duration is not None and stream.time_base:
                    duration = max(duration, float(stream.duration * stream.time_base))
    return source_info(shown, duration)


def source_info(shown: SourceDescription, duration: float) -> SourceInfo:
    """The planner's view of svckit's source description."""
    return SourceInfo(
        duration=duration,
        has_video=shown.has_video,
        has_audio=shown.has_audio,
        is_image=shown.still and shown.has_video and not shown.has_audio,
        width=shown.width if shown.has_video else 0,
        height=shown.height if shown.has_video else 0,
        rotation=shown.rotation,
        mirrored=shown.mirrored,
        sample_aspect=float(shown.sample_aspect) or 1.0,
        color_range=shown.color_range,
        color_matrix="" if shown.color_matrix == "unknown" else shown.color_matrix,
        is_rgb=shown.effective_matrix == "gbr",
        has_alpha=shown.has_alpha,
        alpha_decoder=shown.alpha_decoder or "",
        field_order=shown.field_order if shown.interlaced else "",
        hdr=shown.hdr,
        attached_picture=shown.attached_picture,
    )


def _within_budget(video: Any, sources: SourceFiles) -> bool:
    """Whether the first picture may be decoded: its size is known and inside the pixel budget."""
    width, height = video.codec_context.width, video.codec_context.height
    return bool(width and height) and width * height <= sources.max_picture_pixels


def _over_budget(container: Any, video: Any, path: str, sources: SourceFiles, field: str) -> SourceInfo:
    """The facts of a source whose picture is not decoded (over the pixel budget, or a still whose
    size FFmpeg's probe gave up on): enough for validation to refuse it with its size."""
    audio = container.streams.audio[0] if container.streams.audio else None
    fmt = container.format.name
    is_image = (fmt in _IMAGE_FORMATS or fmt.endswith("_pipe")) and audio is None
    width, height = video.codec_context.width, video.codec_context.height
    if is_image and not (width and height):
        width, height = sources.picture_size(path, field)
    duration = 0.0 if is_image else (container.duration or 0) / av.time_base
    return SourceInfo(
        duration=duration,
        has_video=True,
        has_audio=audio is not None,
        is_image=is_image,
        width=width,
        height=height,
    )


def probe_sequence(path: str, sources: SourceFiles = ANY_SOURCE, field: str = "source.path") -> SourceInfo:
    """Numbered images (a pattern or a folder): a picture-only source at image2's 25 fps, shown as
    its first image is (colour range, matrix, alpha), opened through `sources` like any source."""
    pattern = pattern_of(path)
    count = frame_count(pattern)
    with sources.open(pattern, field) as container:
        video = container.streams.video[0]
        if not _within_budget(video, sources):
            info = _over_budget(container, video, pattern, sources, field)
        else:
            shown = describe_container(container, Path(pattern), field, measure_timing=False)
            info = source_info(shown, 0.0)
    # Images, not one still: the sequence has a length (at image2's rate; the clip's `source.fps`
    # rescales it in the planner).
    return replace(
        info,
        duration=count / BASE_FPS,
        has_audio=False,
        is_image=False,
        attached_picture=False,
        sequence=pattern,
        frame_count=count,
    )


def probe_all(
    paths: Mapping[str, str] | Iterable[tuple[str, str]], sources: SourceFiles = ANY_SOURCE
) -> dict[str, SourceInfo]:
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
            infos[path] = probe(path, sources, field)
        except (FileNotFoundError, av.error.FileNotFoundError, NotFound):
            missing.append((field, path))
        except InvalidArgument as exc:  # not a regular file (a FIFO, a device, a folder)
            why = exc.details.field_violations[0].description if exc.details.field_violations else exc.message
            broken.append((field, path, why))
        except (PermissionDenied, FailedPrecondition, ResourceExhausted):
            raise  # the path policy's and the pixel budget's answers stand as they are
        except IsADirectoryError:
            broken.append((field, path, "is a directory"))
        except (av.error.FFmpegError, OSError, StopIteration) as exc:
            log.info("cannot read %s: %s", path, exc)
            broken.append((field, path, "not a readable media file"))
        except ServiceError as exc:  # the description's own findings (no frames, too large, ...)
            log.info("cannot use %s: %s", path, exc)
            broken.append((field, path, str(exc)))
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

    def __init__(self, capacity: int = 512, sources: SourceFiles = ANY_SOURCE) -> None:
        self._sources = sources
        self._cache: OrderedDict[tuple[str, int, int], SourceInfo] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def probe_all(self, paths: Mapping[str, str]) -> dict[str, SourceInfo]:
        known: dict[str, SourceInfo] = {}
        unknown: dict[str, str] = {}
        keys: dict[str, tuple[str, int, int]] = {}
        for field, path in paths.items():
            if is_sequence(path):  # its images change without the folder's size or time changing
                unknown[field] = path
                continue
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
        found = probe_all(unknown, self._sources) if unknown else {}
        with self._lock:
            for path, info in found.items():
                if path in keys:
                    self._cache[keys[path]] = info
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return {**known, **found}
