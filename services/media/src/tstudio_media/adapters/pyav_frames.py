"""Frames at given times from a video (or the one picture of an image), decoded with PyAV.

FAST seeks to the keyframe at or before the time and decodes only keyframes; ACCURATE decodes
from that keyframe to the frame shown at the time (the last one whose timestamp is <= time).
Consecutive requests for nearby later times continue decoding instead of seeking again, which
makes a filmstrip one pass over the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
from svckit.errors import FailedPrecondition, Resource

from tstudio_media.adapters.pyav_open import (
    is_image_format,
    limit_decoder,
    not_media,
    open_media,
    translate_av_error,
)
from tstudio_media.domain.media_info import clockwise_rotation
from tstudio_media.domain.picture_request import SeekMode

# Seeking costs a keyframe decode; for a later time within this window, decoding on is cheaper.
_CONTINUE_WINDOW_SECONDS = 2.0
_EPSILON = 1e-6


@dataclass(frozen=True)
class Grabbed:
    frame: Any  # av.VideoFrame
    # Presentation time relative to the stream start.
    time_seconds: float
    # Clockwise degrees to turn the picture for display.
    rotation: int
    # Width and height as displayed before rotation (sample aspect applied).
    display_size: tuple[int, int]


class VideoFrames:
    """Frames of one open file. Blocking; not shared between threads."""

    def __init__(self, path: Path, container: Any, mode: SeekMode, max_pixels: int) -> None:
        self.path = path
        self._container = container
        if not container.streams.video:
            raise FailedPrecondition(
                f"{path.name} has no video or picture stream",
                reason="NO_VIDEO_STREAM",
                resources=[Resource("file", str(path))],
            )
        self._stream = container.streams.video[0]
        context = self._stream.codec_context
        if context is None:
            raise _unsupported(path, self._stream)
        width, height = int(context.width or 0), int(context.height or 0)
        if not width or not height:
            raise FailedPrecondition(
                f"{path.name} has no readable picture size (damaged, or over the {max_pixels}-pixel limit)",
                reason="PICTURE_SIZE_UNREADABLE",
                resources=[Resource("file", str(path))],
            )
        if width * height > max_pixels:
            raise FailedPrecondition(
                f"{path.name} declares {width}x{height} pixels, more than this service decodes ({max_pixels})",
                reason="PICTURE_TOO_LARGE",
                resources=[Resource("file", str(path))],
            )
        limit_decoder(self._stream, max_pixels)
        self._mode = mode
        # A still picture has one frame whatever the time; seeking in it would fail.
        self.is_image = is_image_format(container.format.name)
        if mode is SeekMode.FAST:
            context.skip_frame = "NONKEY"
            context.thread_type = "SLICE"
        else:
            # Frame threads decode the run from the keyframe up to the target faster.
            context.thread_type = "AUTO"
        time_base = self._stream.time_base
        self._time_base = float(time_base) if time_base else 0.0
        self._start = (
            float(self._stream.start_time * time_base) if self._stream.start_time and time_base else 0.0
        )
        sar = self._stream.sample_aspect_ratio
        display_width = round(width * float(sar)) if sar else width
        self._display_size = (max(1, display_width), max(1, height))
        self._iter: Iterator[Any] | None = None
        self._current: Any = None
        self._ahead: Any = None
        self._position: float | None = None

    @property
    def duration_seconds(self) -> float:
        """The video's duration from the container (or the stream), 0 when unknown."""
        if self._container.duration:
            return float(self._container.duration / av.time_base)
        if self._stream.duration and self._time_base:
            return float(self._stream.duration * self._time_base)
        return 0.0

    def at(self, seconds: float) -> Grabbed:
        """The frame for `seconds` after the stream start (the last frame when past the end)."""
        if self.is_image:
            seconds = 0.0
        try:
            frame = self._fast(seconds) if self._mode is SeekMode.FAST else self._accurate(seconds)
        except (av.error.FFmpegError, EOFError, ValueError) as exc:
            raise translate_av_error(self.path, exc) from exc
        if frame is None:
            raise not_media(self.path, "no frame could be decoded")
        return Grabbed(
            frame=frame,
            time_seconds=max(0.0, self._time(frame) - self._start),
            rotation=clockwise_rotation(frame.rotation),
            display_size=self._display_size,
        )

    def _time(self, frame: Any) -> float:
        pts = frame.pts if frame.pts is not None else frame.dts
        return float(pts) * self._time_base if pts is not None else 0.0

    def _seek(self, seconds: float) -> None:
        if self._time_base and seconds > 0:
            target = int((seconds + self._start) / self._time_base)
            self._container.seek(target, stream=self._stream, backward=True)
        elif self._iter is not None:
            self._container.seek(0, stream=self._stream, backward=True)
        self._iter = iter(self._container.decode(self._stream))
        self._current = self._ahead = None
        self._position = None

    def _fast(self, seconds: float) -> Any:
        self._seek(seconds)
        assert self._iter is not None
        return next(self._iter, None)

    def _accurate(self, seconds: float) -> Any:
        near = (
            self._position is not None
            and self._position <= seconds < self._position + _CONTINUE_WINDOW_SECONDS
        )
        if not near:
            self._seek(seconds)
        assert self._iter is not None
        target = seconds + self._start + _EPSILON
        best = self._current
        while True:
            frame = self._ahead if self._ahead is not None else next(self._iter, None)
            self._ahead = None
            if frame is None:
                break
            if self._time(frame) <= target:
                best = self._current = frame
                continue
            self._ahead = frame
            break
        self._position = seconds
        # A seek that lands after the time (some demuxers) still gives the nearest frame.
        return best if best is not None else self._ahead


@contextlib.contextmanager
def open_frames(path: Path, mode: SeekMode, max_pixels: int) -> Iterator[VideoFrames]:
    with open_media(path, max_pixels=max_pixels) as container:
        yield VideoFrames(path, container, mode, max_pixels)


def _unsupported(path: Path, stream: Any) -> FailedPrecondition:
    return FailedPrecondition(
        f"no decoder for stream {stream.index} of {path.name}",
        reason="UNSUPPORTED_CODEC",
        resources=[Resource("file", str(path))],
    )
