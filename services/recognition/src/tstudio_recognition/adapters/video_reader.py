"""Video decoding with PyAV: frames in a time range, sampled frames converted to RGB at analysis size
and small thumbnails of every frame for shot detection (both scaled by FFmpeg's swscale, in C).

Frames are given to the models as they are shown: upright (display matrix), square-pixel, with the
source's colour range and matrix read explicitly, all from the source description
(`svckit.source_description`); sizes in `VideoInfo` are the upright display size."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
from svckit.errors import FieldViolation, InvalidArgument, Resource, ServiceError
from svckit.source_description import SourceDescription, describe_source
from svckit.tone_mapping import sdr_from_hdr

from tstudio_recognition.domain.video import THUMB_WIDTH, DecodedFrame, Sampler, VideoInfo

log = logging.getLogger(__name__)


def _bad_video(path: Path, why: str) -> InvalidArgument:
    return InvalidArgument(
        f"cannot decode video: {why}",
        reason="VIDEO_UNREADABLE",
        field_violations=[FieldViolation("path", why)],
        resources=[Resource("file", str(path))],
    )


class PyAvVideo:
    """One video file; `info` is read on construction (raises InvalidArgument for a file that is not a video)."""

    def __init__(self, path: Path, decode_threads: int = 0) -> None:
        self._path = path
        self._threads = decode_threads
        stat = os.stat(path)
        try:
            source = describe_source(path)
        except ServiceError as exc:
            raise _bad_video(path, exc.message) from None
        if not source.has_video:
            # Cover art of an audio file is no video to analyse.
            raise _bad_video(path, "the file has no video stream")
        self.source: SourceDescription = source
        try:
            with av.open(str(path)) as container:
                stream = container.streams[source.video_stream_index]
                fps = source.fps or float(stream.average_rate or stream.guessed_rate or 0) or 25.0
                if stream.duration is not None and stream.time_base is not None:
                    duration = float(stream.duration * stream.time_base)
                elif container.duration is not None:
                    duration = container.duration / av.time_base
                else:
                    duration = 0.0
                width, height = source.display_width, source.display_height
        except av.error.FFmpegError as exc:
            raise _bad_video(path, exc.strerror or type(exc).__name__) from None
        if width <= 0 or height <= 0:
            raise _bad_video(path, "the video stream has no picture size")
        self.info = VideoInfo(
            duration, fps, width, height, (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        )

    def frames(
        self,
        start: float,
        end: float,
        sampler: Sampler | None,
        analysis_size: tuple[int, int] | None,
        thumbs: bool,
    ) -> Iterator[DecodedFrame]:
        info = self.info
        thumb_size = (THUMB_WIDTH, max(2, round(THUMB_WIDTH * info.height / info.width / 2) * 2))
        try:
            with av.open(str(self._path)) as container:
                stream: Any = container.streams[self.source.video_stream_index]
                stream.thread_type = "AUTO"
                stream.codec_context.thread_count = self._threads
                offset = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
                if start > 0:
                    # Seek lands on the keyframe before `start`; frames before it are skipped below.
                    container.seek(int((start + offset) / stream.time_base), stream=stream, backward=True)
                for decoded, frame in enumerate(container.decode(stream)):
                    # Raw elementary streams carry no timestamps: count frames instead.
                    if frame.pts is None:
                        time = decoded / info.fps + start
                    else:
                        time = float(frame.pts * stream.time_base) - offset
                    if time < start - 1e-6:
                        continue
                    if time >= end - 1e-6:
                        break
                    index = round(time * info.fps)
                    sampled = sampler is None or sampler.want(time)
                    image = self._upright(frame, analysis_size) if sampled and analysis_size else None
                    thumb = self._upright(frame, thumb_size) if thumbs else None
                    if image is None and thumb is None:
                        continue
                    yield DecodedFrame(time, index, thumb, image)
        except av.error.FFmpegError as exc:
            raise _bad_video(self._path, exc.strerror or type(exc).__name__) from None

    def _upright(self, frame: Any, size: tuple[int, int]) -> np.ndarray:
        """RGB of `frame` as shown, at `size` (upright width, height)."""
        source = self.source
        turns = {90: -1, 180: 2, 270: 1}.get(source.rotation, 0)  # np.rot90 turns counter-clockwise
        width, height = (size[1], size[0]) if source.rotation in (90, 270) else size
        if source.hdr:
            rgb = self._tone_mapped(frame, width, height)
            return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb
        rgb = frame.reformat(
            width=width,
            height=height,
            format="rgb24",
            src_colorspace=_COLORSPACES.get(source.effective_matrix, "ITU601"),
            src_color_range="JPEG" if source.color_range == "pc" else "MPEG",
            dst_color_range="JPEG",
        ).to_ndarray()
        return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb

    def _tone_mapped(self, frame: Any, width: int, height: int) -> np.ndarray:
        """An HDR (PQ/HLG) frame as SDR BT.709 RGB, by svckit.tone_mapping (as previews show it)."""
        encoded = frame.reformat(
            width=width,
            height=height,
            format="rgb48le",
            src_colorspace="BT2020",
            src_color_range="JPEG" if self.source.color_range == "pc" else "MPEG",
            dst_color_range="JPEG",
        ).to_ndarray()
        display = sdr_from_hdr(encoded.astype(np.float32) / 65535.0, self.source.hdr)
        return np.asarray(np.round(display * 255.0), dtype=np.uint8)


# Source matrix (FFmpeg name) -> swscale's coefficients; anything else is read as BT.601.
_COLORSPACES = {
    "bt709": "ITU709",
    "bt470bg": "ITU601",
    "smpte170m": "ITU601",
    "smpte240m": "SMPTE240M",
    "fcc": "FCC",
    "bt2020nc": "BT2020",
    "bt2020c": "BT2020",
}


def open_video(path: Path, decode_threads: int = 0) -> PyAvVideo:
    return PyAvVideo(path, decode_threads)
