"""Probe: container and stream metadata read with PyAV (in-process FFmpeg, no ffprobe subprocess)."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from svckit.errors import FailedPrecondition
from svckit.mp4_rotation import video_track_rotations
from svckit.source_description import SourceDescription, describe_container

from tstudio_media.adapters.png_header import png_info
from tstudio_media.adapters.pyav_open import is_image_format, limit_decoder, not_media, open_media
from tstudio_media.domain.media_info import (
    MediaInfo,
    MediaKind,
    StreamInfo,
    StreamType,
    clockwise_rotation,
    is_variable_frame_rate,
)

log = logging.getLogger(__name__)

# Formats whose header says everything: FFmpeg's default probing reads ~5 MB of PCM packets from
# them for nothing (30 ms for a 3 s WAV), so they are opened with a small probe first.
_HEADER_ONLY_SUFFIXES = frozenset({".wav", ".wave", ".aif", ".aiff", ".w64", ".caf"})
_QUICK_OPTIONS = {"probesize": "65536", "analyzeduration": "500000"}

_STREAM_TYPES = {
    "video": StreamType.VIDEO,
    "audio": StreamType.AUDIO,
    "subtitle": StreamType.SUBTITLE,
}


class PyAVProber:
    """Reads `MediaInfo` from a file. Blocking: call it from a worker thread."""

    def __init__(self, max_pixels: int = 64 * 1024 * 1024) -> None:
        self._max_pixels = max_pixels

    def probe(self, path: Path) -> MediaInfo:
        if path.suffix.lower() == ".png" and (still := png_info(path)) is not None:
            return still
        if path.suffix.lower() in _HEADER_ONLY_SUFFIXES:
            info = self._probe(path, _QUICK_OPTIONS)
            if _complete(info):
                return info
        return self._probe(path, None)

    def probe_with_ffmpeg(self, path: Path) -> MediaInfo:
        """The full FFmpeg probe, bypassing the header-only shortcuts (for comparisons)."""
        return self._probe(path, None, headers_only=False)

    def _probe(self, path: Path, options: dict[str, str] | None, headers_only: bool = True) -> MediaInfo:
        with open_media(path, max_pixels=self._max_pixels, options=options) as container:
            size = path.stat().st_size
            image = is_image_format(container.format.name)
            if not any(s.type in ("video", "audio") for s in container.streams):
                raise not_media(path, "the file has no audio or video stream")
            source = self._describe(container, path)
            rotations = self._rotations(path, container, image, headers_only, source)
            streams = tuple(
                self._stream(s, image, rotations.get(s.index, 0), source) for s in container.streams
            )
            tags = {str(k): str(v) for k, v in (container.metadata or {}).items()}
            return MediaInfo(
                path=str(path),
                kind=_kind(streams, image),
                container=container.format.name,
                container_long_name=container.format.long_name or "",
                duration_seconds=_microseconds(container.duration),
                bit_rate=int(container.bit_rate or 0) or _bit_rate_from_size(size, container.duration),
                size_bytes=size,
                start_time_seconds=_microseconds(container.start_time),
                creation_time=tags.get("creation_time") or _first_stream_tag(container, "creation_time"),
                streams=streams,
                tags=tags,
                source=source,
            )

    def _describe(self, container: Any, path: Path) -> SourceDescription | None:
        """The source description, read on the open container (it seeks back to the start).
        None for a picture over the pixel budget: the probe still reports what the header says."""
        try:
            return describe_container(container, path, max_pixels=self._max_pixels, from_headers=True)
        except FailedPrecondition as exc:
            log.debug("no source description of %s: %s", path.name, exc.message)
            return None

    def _stream(
        self, stream: Any, image: bool, rotation: int, source: SourceDescription | None
    ) -> StreamInfo:
        kind = _STREAM_TYPES.get(stream.type, StreamType.DATA)
        context = stream.codec_context
        if context is None:
            # No decoder in this FFmpeg build: report the stream, without decoder-derived facts.
            return StreamInfo(index=stream.index, type=kind, codec="unknown", language=_language(stream))
        common: dict[str, Any] = {
            "index": stream.index,
            "type": kind,
            "codec": _codec_name(stream),
            "codec_long_name": _codec_long_name(stream),
            "profile": stream.profile or "",
            "bit_rate": int((context.bit_rate if context is not None else 0) or 0),
            "duration_seconds": _seconds(stream.duration, stream.time_base),
            "frame_count": int(stream.frames or 0),
            "language": _language(stream),
        }
        if kind is StreamType.VIDEO:
            real = _fps(stream.base_rate or stream.guessed_rate)
            average = _fps(stream.average_rate)
            attached = _is_attached_picture(stream)
            shown = source is not None and source.video_stream_index == stream.index
            measured_vfr = shown and source is not None and source.variable_frame_rate
            if shown and source is not None and (real > _MAX_REAL_FPS or average > _MAX_REAL_FPS):
                # A time base, not a rate (VFR MP4s with a 90 kHz timescale): the measured rate.
                real = average = source.fps
            # A still image or cover art has no frame rate; the demuxer's default would mislead.
            if image or attached:
                real = average = 0.0
            return StreamInfo(
                **common,
                width=int(context.width or 0),
                height=int(context.height or 0),
                pixel_format=context.pix_fmt or "",
                fps=real,
                avg_fps=average,
                rotation=rotation,
                sample_aspect_ratio=_ratio(stream.sample_aspect_ratio),
                display_aspect_ratio=_ratio(stream.display_aspect_ratio),
                variable_frame_rate=measured_vfr or is_variable_frame_rate(real, average),
                attached_picture=attached,
            )
        if kind is StreamType.AUDIO:
            layout = getattr(context, "layout", None)
            audio_format = getattr(context, "format", None)
            return StreamInfo(
                **common,
                sample_rate=int(context.sample_rate or 0),
                channels=int(getattr(layout, "nb_channels", 0) or getattr(context, "channels", 0) or 0),
                channel_layout=getattr(layout, "name", "") or "",
                sample_format=getattr(audio_format, "name", "") or "",
            )
        return StreamInfo(**common)

    def _rotations(
        self, path: Path, container: Any, image: bool, headers_only: bool, source: SourceDescription | None
    ) -> dict[int, int]:
        """Clockwise rotation per video stream index, from the display matrix (the shown picture's
        from the source description)."""
        video = [s for s in container.streams.video if s.codec_context is not None]
        if not video:
            return {}
        if source is not None and source.video_stream_index >= 0 and (image or len(video) == 1):
            return {source.video_stream_index: source.rotation}
        if (
            headers_only
            and not image
            and any(name in ("mov", "mp4") for name in container.format.name.split(","))
        ):
            from_headers = video_track_rotations(path)
            if from_headers is not None and len(from_headers) == len(video):
                return {s.index: r for s, r in zip(video, from_headers, strict=True)}
        if image and video[0].codec_context.name != "mjpeg":
            return {}  # of still pictures only JPEG carries an orientation (EXIF)
        return {s.index: self._decoded_rotation(container, s) for s in video}

    def _decoded_rotation(self, container: Any, stream: Any) -> int:
        """PyAV exposes the display matrix on decoded frames only: decode the first one (skipped
        for pictures too large to decode safely)."""
        context = stream.codec_context
        if not context.width or context.width * context.height > self._max_pixels:
            return 0
        limit_decoder(stream, self._max_pixels)
        try:
            for frame in container.decode(stream):
                return clockwise_rotation(frame.rotation)
        except (av.error.FFmpegError, ValueError, EOFError) as exc:
            log.debug("no frame decoded for rotation of stream %d: %s", stream.index, exc)
        return 0


def _complete(info: MediaInfo) -> bool:
    """Every audio/video stream has the facts a quick (small probesize) open may miss."""
    for stream in info.streams:
        if stream.type is StreamType.AUDIO and not (stream.sample_rate and stream.channels and stream.codec):
            return False
        if stream.type is StreamType.VIDEO and not (stream.width and stream.pixel_format):
            return False
    return bool(info.streams)


def _kind(streams: tuple[StreamInfo, ...], image: bool) -> MediaKind:
    if any(s.type is StreamType.VIDEO and not s.attached_picture for s in streams):
        return MediaKind.IMAGE if image else MediaKind.VIDEO
    return MediaKind.AUDIO


_MAX_REAL_FPS = 1000.0
_ATTACHED_PIC = 0x0400  # AV_DISPOSITION_ATTACHED_PIC


def _is_attached_picture(stream: Any) -> bool:
    try:
        return bool(int(stream.disposition) & _ATTACHED_PIC)
    except (TypeError, ValueError):
        return False


def _codec_name(stream: Any) -> str:
    context = stream.codec_context
    if context is not None:
        return str(context.name or "")
    return ""


def _codec_long_name(stream: Any) -> str:
    context = stream.codec_context
    try:
        return str(context.codec.long_name or "") if context is not None else ""
    except Exception:  # an unknown codec has no descriptor; the name alone will do
        return ""


def _language(stream: Any) -> str:
    language = stream.language or (stream.metadata or {}).get("language", "")
    return "" if language == "und" else str(language)


def _first_stream_tag(container: Any, key: str) -> str:
    for stream in container.streams:
        value = (stream.metadata or {}).get(key)
        if value:
            return str(value)
    return ""


def _microseconds(value: int | None) -> float:
    return value / av.time_base if value else 0.0


def _seconds(value: int | None, time_base: Fraction | None) -> float:
    if not value or time_base is None:
        return 0.0
    return float(value * time_base)


def _fps(rate: Fraction | None) -> float:
    return float(rate) if rate else 0.0


def _ratio(value: Fraction | None) -> str:
    return f"{value.numerator}:{value.denominator}" if value else ""


def _bit_rate_from_size(size: int, duration: int | None) -> int:
    if not duration:
        return 0
    return int(size * 8 / (duration / av.time_base))
