"""Picture inputs of a segment graph: one frame per output frame, picked by timestamp.

Video sources are decoded in their own thread into a short queue, so decoding overlaps filtering
and encoding (PyAV releases the GIL inside FFmpeg). A frame is chosen the way FFmpeg's `fps` filter
chooses it: the latest source frame whose time rounds to at most the output frame's slot, so
sources with a variable frame rate or an odd start time stay on the output grid. Plugin effects run
on a feeder's frames (PluginFeeder); a plugin transition's frames come from TransitionFeeder.
"""

from __future__ import annotations

import logging
import queue
import threading
from fractions import Fraction
from typing import Any, Protocol

import av
import numpy as np
from svckit.errors import DataLoss, FailedPrecondition, Resource, ServiceError

from tstudio_compiler.adapters.captions_render import CaptionPictures, CaptionsFeeder
from tstudio_compiler.adapters.output_colour import SWS_MATRIX
from tstudio_compiler.adapters.shape_raster import shape_frame
from tstudio_compiler.adapters.source_decoding import frames_from
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.adapters.text_animation import AnimatedText
from tstudio_compiler.adapters.text_raster import rasterise, shared_font_book
from tstudio_compiler.adapters.time_feeders import ReverseFeeder, freeze_frame
from tstudio_compiler.adapters.transition_feeder import TransitionFeeder
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.plan import InputSpec
from tstudio_compiler.domain.ports import FrameEffects

log = logging.getLogger(__name__)

_END = object()


class FrameFeeder(Protocol):
    def frame(self, local_frame: int) -> av.VideoFrame:
        """The picture for clip-local frame `local_frame` (called with increasing values)."""
        ...

    def close(self) -> None: ...


class StillFeeder:
    """The same picture for every frame (images, text, colours)."""

    def __init__(self, picture: av.VideoFrame) -> None:
        self._picture = picture

    def frame(self, local_frame: int) -> av.VideoFrame:
        return self._picture

    def close(self) -> None:
        pass


def color_frame(
    color: str, width: int, height: int, matrix: str = "", color_range: str = "", rgb: bool = False
) -> av.VideoFrame:
    """A plain picture in the working colour (`matrix` and `color_range` in the scale filter's
    names), or in RGB for an RGB output (`rgb`: GIF, APNG keep it exact)."""
    rgba = parse_color(color.replace("0x", "#")) or (0, 0, 0, 255)
    if rgba[3] != 255:  # a transparent colour keeps its alpha
        return av.VideoFrame.from_ndarray(np.full((height, width, 4), rgba, np.uint8), format="rgba")
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = rgba[:3]
    picture = av.VideoFrame.from_ndarray(image, format="rgb24")
    if rgb:
        return picture
    return picture.reformat(  # type: ignore[call-arg]
        format="yuv420p",
        dst_colorspace=SWS_MATRIX.get(matrix, "ITU709"),
        dst_color_range="JPEG" if color_range == "pc" else "MPEG",
    )


def image_frame(path: str, sources: SourceFiles = ANY_SOURCE) -> av.VideoFrame:
    try:
        with sources.open(path) as container:
            for frame in container.decode(video=0):
                if frame.format.name in ("pal8", "gray", "ya8", "la", "gray16be", "rgba64be", "rgb48be"):
                    return frame.reformat(format="rgba")
                return frame
    except av.error.FFmpegError as exc:
        raise DataLoss(f"cannot decode image {path}", resources=[Resource("file", path)]) from exc
    raise DataLoss(f"image {path} has no picture", resources=[Resource("file", path)])


class AnimatedTextFeeder:
    """An animated text clip's pictures, one per clip-local frame."""

    def __init__(self, text: AnimatedText) -> None:
        self._text = text
        self._static: av.VideoFrame | None = None

    def frame(self, local_frame: int) -> av.VideoFrame:
        picture = self._text.picture(local_frame)
        if picture is self._text.static:
            if self._static is None:
                self._static = av.VideoFrame.from_ndarray(picture, format="rgba")
            return self._static
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgba")

    def close(self) -> None:
        pass


class VideoFeeder:
    """Decodes a clip's source from its first needed frame onwards, in a thread."""

    def __init__(self, spec: InputSpec, prefetch: int = 8, sources: SourceFiles = ANY_SOURCE) -> None:
        self._spec = spec
        self._sources = sources
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=prefetch)
        self._stop = threading.Event()
        self._current: tuple[float, av.VideoFrame] | None = None
        self._next: tuple[float, av.VideoFrame] | None = None
        self._ended = False
        self._error: BaseException | None = None
        start = spec.source_time(spec.first_frame)
        self._thread = threading.Thread(target=self._decode, args=(start,), daemon=True, name="decode")
        self._thread.start()

    def _decode(self, start: float) -> None:
        try:
            with self._sources.open(self._spec.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                origin = (container.start_time or 0) / av.time_base
                half = 0.5 / self._spec.fps * self._spec.speed_at(self._spec.first_frame)
                for t, frame in frames_from(container, stream, start, origin, self._spec.decoder):
                    if self._stop.is_set():
                        return
                    if t < start - half - 1.0:
                        continue  # before the seek target: skip the hand-off
                    self._put((t, frame))
        except (av.error.FFmpegError, ServiceError) as exc:
            log.warning("decoding %s failed: %s", self._spec.path, exc)
            self._error = exc
        finally:
            self._put(_END)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _take(self) -> tuple[float, av.VideoFrame] | None:
        if self._ended:
            return None
        item = self._queue.get()
        if item is _END:
            self._ended = True
            if isinstance(self._error, ServiceError):
                raise self._error  # refused at open (not a regular file, outside the roots)
            if self._error is not None and self._current is None:
                raise DataLoss(
                    f"cannot decode {self._spec.path}",
                    reason="MEDIA_CORRUPT",
                    resources=[Resource("file", self._spec.path)],
                )
            return None
        return item  # type: ignore[no-any-return]

    def frame(self, local_frame: int) -> av.VideoFrame:
        spec = self._spec
        # fps-filter rounding: a source frame belongs to the output slot its time rounds to.
        limit = spec.source_time(local_frame) + 0.5 / spec.fps * spec.speed_at(local_frame) - 1e-6
        if self._next is None and not self._ended:
            self._next = self._take()
        while self._next is not None and (self._current is None or self._next[0] < limit):
            self._current = self._next
            self._next = self._take()
        wanted = spec.source_time(local_frame)
        if self._current is None:
            raise DataLoss(
                f"{spec.path} has no picture at {wanted:.3f} s",
                reason="MEDIA_CORRUPT",
                resources=[Resource("file", spec.path)],
            )
        if self._next is None and wanted - self._current[0] > 0.5 + 2 * spec.speed_at(local_frame) / spec.fps:
            # The file ends (truncated or corrupt) well before the clip does: never pad silently.
            raise DataLoss(
                f"{spec.path} ends at {self._current[0]:.3f} s but the clip needs {wanted:.3f} s",
                reason="MEDIA_TRUNCATED",
                resources=[Resource("file", spec.path)],
            )
        return self._current[1]

    def close(self) -> None:
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=2)


class PluginFeeder:
    """Runs plugin effects on another feeder's frames (as RGBA, the plugins' frame format)."""

    def __init__(self, inner: FrameFeeder, spec: InputSpec, plugins: FrameEffects) -> None:
        self._inner = inner
        self._fps = spec.fps
        self._bound = [
            plugins.bind(kind.removeprefix("plugin:"), params) for kind, params in spec.frame_effects
        ]

    def frame(self, local_frame: int) -> av.VideoFrame:
        rgba: Any = self._inner.frame(local_frame).to_ndarray(format="rgba")
        for bound in self._bound:
            rgba = bound.effect(rgba, local_frame / self._fps)
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgba), format="rgba")

    def close(self) -> None:
        self._inner.close()


def make_feeder(
    spec: InputSpec, plugins: FrameEffects | None = None, sources: SourceFiles = ANY_SOURCE
) -> FrameFeeder:
    if spec.plugin_types() and plugins is None:
        raise FailedPrecondition(
            "this compiler runs no plugin host",
            reason="PLUGINS_UNAVAILABLE",
            resources=[Resource("plugin", t) for t in spec.plugin_types()],
        )
    if spec.kind == "nested":
        from tstudio_compiler.adapters.nested_feeder import NestedFeeder  # it builds feeders through here

        return NestedFeeder(spec, lambda inner: make_feeder(inner, plugins, sources))
    if spec.transition is not None:
        assert plugins is not None
        return TransitionFeeder(spec, plugins, lambda side: make_feeder(side, plugins, sources))
    feeder = _plain_feeder(spec, sources)
    if not spec.frame_effects:
        return feeder
    assert plugins is not None
    return PluginFeeder(feeder, spec, plugins)


def _plain_feeder(spec: InputSpec, sources: SourceFiles) -> FrameFeeder:
    if spec.kind == "video" and spec.freeze:
        return StillFeeder(freeze_frame(spec, sources))
    if spec.kind == "video" and spec.reverse:
        return ReverseFeeder(spec, sources)
    if spec.kind == "video":
        return VideoFeeder(spec, sources=sources)
    if spec.kind == "luma":
        from tstudio_compiler.adapters.luma_matte import LumaMatteFeeder  # it reads images through here

        return LumaMatteFeeder(spec, sources)
    if spec.kind == "shape":
        assert spec.shape is not None
        return StillFeeder(shape_frame(spec.shape, spec.width, spec.height))
    if spec.kind == "image":
        return StillFeeder(image_frame(spec.path, sources))
    if spec.kind == "captions":
        assert spec.captions is not None
        pictures = CaptionPictures(spec.captions, shared_font_book(), spec.width, spec.height)
        return CaptionsFeeder(pictures, spec.source_in, spec.fps)
    if spec.kind == "text" and spec.clip_frames:
        assert spec.text is not None
        return AnimatedTextFeeder(AnimatedText(spec.text, shared_font_book(), spec.fps, spec.clip_frames))
    if spec.kind == "text":
        assert spec.text is not None
        # from_image would drop the alpha channel.
        return StillFeeder(
            av.VideoFrame.from_ndarray(
                np.asarray(rasterise(spec.text, (spec.width, spec.height), sources.max_picture_pixels)),
                format="rgba",
            )
        )
    return StillFeeder(
        color_frame(spec.color, spec.width, spec.height, spec.color_matrix, spec.color_range, spec.rgb)
    )


def time_base(fps: float) -> Fraction:
    return 1 / Fraction(fps).limit_denominator(1001)
