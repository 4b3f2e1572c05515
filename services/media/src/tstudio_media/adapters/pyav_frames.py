"""Frames at given times from a video (or the one picture of an image or cover), decoded with PyAV.

How the picture must be shown (which stream, rotation, pixel aspect, colour range and matrix, alpha
and the decoder that keeps it) comes from the source description (`svckit.source_description`),
read once when the file is opened.

FAST seeks to the keyframe at or before the time and decodes only keyframes; ACCURATE decodes
from that keyframe to the frame shown at the time (the last one whose timestamp is <= time). A seek
that lands after the time (MPEG-TS, long GOPs) is retried from further back, so the frame returned
is never a later one. Consecutive requests for nearby later times continue decoding instead of
seeking again, which makes a filmstrip one pass over the file.
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
from svckit.source_description import SourceDescription, describe_with_first_frame

from tstudio_media.adapters.pyav_open import not_media, open_media, translate_av_error
from tstudio_media.domain.picture_request import SeekMode

# Seeking costs a keyframe decode; for a later time within this window, decoding on is cheaper.
_CONTINUE_WINDOW_SECONDS = 2.0
_EPSILON = 1e-6
# How far before the asked time a seek is retried when it landed after it (None: from the start).
_SEEK_BACKOFFS: tuple[float | None, ...] = (0.0, 1.0, 5.0, None)
_BYTE_SEEK_FORMATS = frozenset({"mpegts", "mpegtsraw", "mpeg", "mpegvideo", "h264", "hevc", "m4v", "vc1"})


@dataclass(frozen=True)
class Grabbed:
    frame: Any  # av.VideoFrame
    # Presentation time relative to the stream start.
    time_seconds: float
    # Clockwise degrees to turn the picture for display, then whether to mirror it left-right.
    rotation: int
    # Width and height as displayed before rotation (sample aspect applied).
    display_size: tuple[int, int]
    # How to read the frame's pixels (from the source description).
    has_alpha: bool = False
    full_range: bool = False
    matrix: str = "smpte170m"
    mirrored: bool = False
    hdr: str = ""  # "pq" or "hlg": tone-mapped to SDR when turned into a picture


class VideoFrames:
    """Frames of one open file. Blocking; not shared between threads."""

    def __init__(
        self,
        path: Path,
        container: Any,
        mode: SeekMode,
        max_pixels: int,
        description: SourceDescription,
        first_frame: Any = None,
    ) -> None:
        self.path = path
        self._container = container
        self.description = description
        if description.video_stream_index < 0:
            raise FailedPrecondition(
                f"{path.name} has no video or picture stream",
                reason="NO_VIDEO_STREAM",
                resources=[Resource("file", str(path))],
            )
        self._stream = container.streams[description.video_stream_index]
        width, height = description.width, description.height
        if not width or not height:
            raise FailedPrecondition(
                f"{path.name} has no readable picture size (damaged, or over the {max_pixels}-pixel limit)",
                reason="PICTURE_SIZE_UNREADABLE",
                resources=[Resource("file", str(path))],
            )
        self._mode = mode
        # A still picture (or cover art) has one frame whatever the time; seeking in it would fail.
        self.is_image = description.still
        self._decoder = self._make_decoder(description, max_pixels)
        # MP4/MOV sample tables and Matroska cues make seeks exact; MPEG-TS/PS and raw
        # elementary streams seek by bytes and timestamps read near them, which can miss.
        self._indexed = not set(str(container.format.name).split(",")) & _BYTE_SEEK_FORMATS
        if mode is SeekMode.FAST:
            self._decoder.skip_frame = "NONKEY"
        time_base = self._stream.time_base
        self._time_base = float(time_base) if time_base else 0.0
        self._start = (
            float(self._stream.start_time * time_base) if self._stream.start_time and time_base else 0.0
        )
        upright = (description.display_width, description.display_height)
        turned = description.rotation in (90, 270)
        self._display_size = (upright[1], upright[0]) if turned else upright
        self._iter: Iterator[Any] | None = None
        self._current: Any = None
        self._ahead: Any = None
        self._position: float | None = None
        # A still's only frame, as the description read it (cover art is not queued again).
        self._still: Any = first_frame if self.is_image else None

    def _make_decoder(self, description: SourceDescription, max_pixels: int) -> Any:
        """The stream's own decoder, or the one that keeps alpha (libvpx for VP8/VP9 alpha)."""
        if description.alpha_decoder:
            try:
                decoder = av.CodecContext.create(description.alpha_decoder, "r")
            except (av.error.FFmpegError, ValueError):
                decoder = None  # this FFmpeg has no libvpx: the picture without its alpha
            if decoder is not None:
                decoder.options = {"max_pixels": str(max_pixels)}
                return decoder
        return self._stream.codec_context

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
        try:
            if self.is_image:
                seconds = 0.0
                frame = self._still = self._still if self._still is not None else self._first()
            elif self._mode is SeekMode.FAST:
                frame = self._fast(seconds)
            else:
                frame = self._accurate(seconds)
        except (av.error.FFmpegError, EOFError, ValueError) as exc:
            raise translate_av_error(self.path, exc) from exc
        if frame is None:
            raise not_media(self.path, "no frame could be decoded")
        d = self.description
        if d.interlaced:
            frame = self._deinterlaced(frame)
        return Grabbed(
            frame=frame,
            time_seconds=0.0 if self.is_image else max(0.0, self._time(frame) - self._start),
            rotation=d.rotation,
            display_size=self._display_size,
            has_alpha=d.has_alpha and any(c.is_alpha for c in frame.format.components),
            full_range=d.color_range == "pc",
            matrix=d.effective_matrix,
            mirrored=d.mirrored,
            hdr=d.hdr,
        )

    def _deinterlaced(self, frame: Any) -> Any:
        """One woven frame made progressive: its first field, scaled back to full height (a
        thumbnail shows the picture at its time, not two combed fields). bwdif needs the frames
        around it and passes a lone frame through unchanged."""
        field = "top" if self.description.top_field_first else "bottom"
        graph = av.filter.Graph()
        source = graph.add(
            "buffer",
            f"video_size={frame.width}x{frame.height}:pix_fmt={frame.format.name}:time_base=1/90000"
            ":pixel_aspect=1/1",
        )
        chain = [graph.add("field", f"type={field}"), graph.add("scale", f"w={frame.width}:h={frame.height}")]
        sink = graph.add("buffersink")
        for a, b in zip([source, *chain], [*chain, sink], strict=True):
            a.link_to(b)
        graph.configure()
        pts = frame.pts
        frame.pts = 0
        try:
            graph.push(frame)
            progressive = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return frame  # nothing came out: show the frame as it is
        finally:
            frame.pts = pts
        progressive.pts = pts
        return progressive

    def _time(self, frame: Any) -> float:
        pts = frame.pts if frame.pts is not None else frame.dts
        return float(pts) * self._time_base if pts is not None else 0.0

    def _frames(self) -> Iterator[Any]:
        decoder = self._decoder
        for packet in self._container.demux(self._stream):
            # The last packet is empty: it flushes the decoder's delayed frames.
            yield from decoder.decode(packet)

    def _first(self) -> Any:
        self._reposition(None)
        assert self._iter is not None
        return next(self._iter, None)

    def _reposition(self, seconds: float | None) -> None:
        """Seek to the keyframe at or before `seconds` (None or <= 0: the start)."""
        if seconds is not None and seconds > 0 and self._time_base:
            target = int((seconds + self._start) / self._time_base)
            self._container.seek(target, stream=self._stream, backward=True)
        else:
            # 0, not the start timestamp: MPEG-TS finds no keyframe at exactly its first PTS.
            self._container.seek(0, stream=self._stream, backward=True)
        if self._decoder is not self._stream.codec_context:
            self._decoder.flush_buffers()  # the container flushes only the stream's own decoder
        self._iter = self._frames()
        self._current = self._ahead = None
        self._position = None

    def _seek(self, seconds: float) -> None:
        """Seek so that the next frame decoded is at or before `seconds` (kept in self._ahead)."""
        target = seconds + self._start + _EPSILON
        for back in _SEEK_BACKOFFS:
            at = None if back is None or seconds - back <= 0 else seconds - back
            self._reposition(at)
            assert self._iter is not None
            first = next(self._iter, None)
            # Nothing decoded after an indexed seek means the data is not there (a cut file):
            # refuse rather than show an earlier picture. Unindexed (MPEG-TS) seeks just missed.
            missing = first is None and self._indexed
            if at is None or missing or (first is not None and self._time(first) <= target):
                self._ahead = first
                return

    def _fast(self, seconds: float) -> Any:
        self._seek(seconds)
        return self._ahead

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
        # A time before the first frame (an edit list, a late video start) gives the first frame.
        return best if best is not None else self._ahead


@contextlib.contextmanager
def open_frames(path: Path, mode: SeekMode, max_pixels: int) -> Iterator[VideoFrames]:
    with open_media(path, max_pixels=max_pixels) as container:
        for stream in container.streams.video:
            if stream.codec_context is not None:
                # Set before the description's first decode opens the decoder. Frame threads
                # decode the run from the keyframe up to the target faster.
                stream.codec_context.thread_type = "SLICE" if mode is SeekMode.FAST else "AUTO"
        description, first = describe_with_first_frame(
            container, path, max_pixels=max_pixels, measure_timing=False, from_headers=True
        )
        yield VideoFrames(path, container, mode, max_pixels, description, first)
