"""Our `MediaInfo` in the frontend's shapes: the backend's `MediaFile` (snake_case, an
ffprobe-style `probe_data` whose bit rates and frame rates are strings, as ffprobe and the
frontend's FfprobeStream type have them) and `ProcessedMediaFile`."""

from __future__ import annotations

import uuid
from fractions import Fraction
from pathlib import PurePath
from typing import Any

from tstudio.media.v1 import media_pb2

CODEC_TYPES = {
    media_pb2.STREAM_TYPE_VIDEO: "video",
    media_pb2.STREAM_TYPE_AUDIO: "audio",
    media_pb2.STREAM_TYPE_SUBTITLE: "subtitle",
    media_pb2.STREAM_TYPE_DATA: "data",
}


def new_file_id() -> str:
    return str(uuid.uuid4())


def frame_rate(fps: float) -> str:
    """30.0 -> "30/1", 29.97 -> "30000/1001" (ffprobe's r_frame_rate)."""
    if fps <= 0:
        return "0/0"
    fraction = Fraction(fps).limit_denominator(1001)
    return f"{fraction.numerator}/{fraction.denominator}"


def probe_stream(stream: media_pb2.StreamInfo) -> dict[str, Any]:
    result: dict[str, Any] = {"index": stream.index, "codec_type": CODEC_TYPES.get(stream.type, "unknown")}
    if stream.codec:
        result["codec_name"] = stream.codec
    if stream.type == media_pb2.STREAM_TYPE_VIDEO:
        result["width"] = stream.width
        result["height"] = stream.height
        result["r_frame_rate"] = frame_rate(stream.fps)
        if stream.display_aspect_ratio:
            result["display_aspect_ratio"] = stream.display_aspect_ratio
    if stream.type == media_pb2.STREAM_TYPE_AUDIO:
        result["sample_rate"] = str(stream.sample_rate)
        result["channels"] = stream.channels
    if stream.bit_rate:
        result["bit_rate"] = str(stream.bit_rate)
    return result


def media_file(info: media_pb2.MediaInfo, file_id: str | None = None) -> dict[str, Any]:
    """The backend's `MediaFile` of one probed file."""
    fmt: dict[str, Any] = {"duration": info.duration_seconds, "size": int(info.size_bytes)}
    if info.bit_rate:
        fmt["bit_rate"] = str(info.bit_rate)
    if info.container:
        fmt["format_name"] = info.container
    kind = info.kind
    return {
        "id": file_id or new_file_id(),
        "name": PurePath(info.path).name,
        "path": info.path,
        "is_video": kind == media_pb2.MEDIA_KIND_VIDEO,
        "is_audio": kind == media_pb2.MEDIA_KIND_AUDIO,
        "is_image": kind == media_pb2.MEDIA_KIND_IMAGE,
        "size": int(info.size_bytes),
        "duration": info.duration_seconds if kind != media_pb2.MEDIA_KIND_IMAGE else None,
        "start_time": max(0, int(info.start_time_seconds)),
        "creation_time": info.creation_time,
        "probe_data": {"streams": [probe_stream(s) for s in info.streams], "format": fmt},
    }


def simple_metadata(info: media_pb2.MediaInfo) -> dict[str, Any]:
    """`SimpleMediaMetadata` of process_media_file_simple."""
    video = next((s for s in info.streams if s.type == media_pb2.STREAM_TYPE_VIDEO), None)
    audio = next((s for s in info.streams if s.type == media_pb2.STREAM_TYPE_AUDIO), None)
    result: dict[str, Any] = {
        "duration": info.duration_seconds,
        "has_audio": audio is not None,
        "has_video": video is not None and info.kind != media_pb2.MEDIA_KIND_AUDIO,
    }
    if info.bit_rate:
        result["bitrate"] = int(info.bit_rate)
    if video is not None:
        result.update(width=video.width, height=video.height, fps=video.fps, video_codec=video.codec)
    if audio is not None:
        result["audio_codec"] = audio.codec
    return result
