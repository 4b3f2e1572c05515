"""Frames for the timeline, recognition and subtitles (src/features/video-compiler/services/
frame-extraction-service.ts, src/features/media/hooks/use-media-preview.ts): extract_timeline_frames,
extract_recognition_frames, extract_subtitle_frames, save_timeline_frames, get_timeline_frames.

Each frame is the media service's thumbnail at that time (JPEG, cached there). Keyframe flags are not
known through this path and are reported as false; no scene-change score is given.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from google.protobuf import json_format
from tstudio.media.v1 import media_pb2

from tstudio_gateway.timeline_studio.args import Args
from tstudio_gateway.timeline_studio.preview_data import load_sections, save_sections
from tstudio_gateway.timeline_studio.registry import TauriCall, TauriCommand

MAX_FRAMES = 300
TIMELINE_WIDTH = 160
RECOGNITION_MAX_WIDTH = 640
PURPOSES = (
    "timeline_preview",
    "object_detection",
    "scene_recognition",
    "text_recognition",
    "subtitle_analysis",
)


async def _frame(call: TauriCall, path: str, seconds: float, width: int) -> media_pb2.ThumbnailResponse:
    response: media_pb2.ThumbnailResponse = await call.call(
        "media.thumbnail",
        media_pb2.ThumbnailRequest(
            path=path,
            time_seconds=seconds,
            width=width,
            format=media_pb2.IMAGE_FORMAT_JPEG,
            mode=media_pb2.SEEK_MODE_ACCURATE,
        ),
    )
    return response


def _times(args: Args, duration: float, interval: float, max_frames: int | None) -> list[float]:
    count = math.floor(duration / interval) + 1 if duration > 0 else 1
    if max_frames is not None:
        count = min(count, max_frames)
    if count > MAX_FRAMES:
        raise args.error("interval", f"asks for more than {MAX_FRAMES} frames; use a longer interval")
    # The last frame sits a little before the end, where a frame still exists.
    return [min(i * interval, max(0.0, duration - 0.05)) for i in range(count)]


async def _duration(call: TauriCall, path: str) -> tuple[float, int]:
    response = await call.call("media.probe", media_pb2.ProbeRequest(path=path))
    info = response.info
    video = next((s for s in info.streams if s.type == media_pb2.STREAM_TYPE_VIDEO), None)
    if video is None:
        raise call.args.error("video_path", "has no video stream")
    return float(info.duration_seconds), int(video.width)


async def extract_timeline_frames(call: TauriCall) -> list[dict[str, Any]]:
    """`{request: {video_path, duration, interval, max_frames?}}` -> `[{timestamp, frame_data (base64), is_keyframe}]`."""
    request = call.args.nested("request")
    path = request.string("video_path")
    duration = request.number("duration", minimum=0)
    interval = request.number("interval", minimum=0.01)
    max_frames = request.integer("max_frames", required=False, default=0, minimum=1) or None
    frames = []
    for seconds in _times(request, duration, interval, max_frames):
        picture = await _frame(call, path, seconds, TIMELINE_WIDTH)
        frames.append(
            {
                "timestamp": seconds,
                "frame_data": base64.b64encode(picture.image).decode("ascii"),
                "is_keyframe": False,
            }
        )
    return frames


async def extract_recognition_frames(call: TauriCall) -> list[dict[str, Any]]:
    """`{video_path, purpose, interval}` -> `[{timestamp, frame_data (JPEG bytes), resolution, is_keyframe}]`."""
    path = call.args.string("video_path")
    purpose = call.args.string("purpose")
    if purpose not in PURPOSES:
        raise call.args.error("purpose", f"must be one of {', '.join(PURPOSES)}")
    interval = call.args.number("interval", minimum=0.01)
    duration, width = await _duration(call, path)
    frames = []
    for seconds in _times(call.args, duration, interval, None):
        picture = await _frame(call, path, seconds, min(width, RECOGNITION_MAX_WIDTH))
        frames.append(
            {
                "timestamp": seconds,
                "frame_data": list(picture.image),
                "resolution": [picture.width, picture.height],
                "is_keyframe": False,
            }
        )
    return frames


async def extract_subtitle_frames(call: TauriCall) -> list[dict[str, Any]]:
    """`{video_path, subtitles: [{id, text, start_time, end_time, ...}]}` -> one frame in the middle of
    each enabled subtitle: `[{subtitle_id, subtitle_text, timestamp, frame_data, start_time, end_time}]`."""
    path = call.args.string("video_path")
    raw = call.args.raw.get("subtitles")
    if not isinstance(raw, list):
        raise call.args.error("subtitles", "is required (an array of subtitles)")
    if len(raw) > MAX_FRAMES:
        raise call.args.error("subtitles", f"at most {MAX_FRAMES} at once")
    duration, width = await _duration(call, path)
    frames = []
    for index, item in enumerate(raw):
        subtitle = Args(call.name, item, f"subtitles[{index}].")
        subtitle_id = subtitle.string("id")
        text = subtitle.string("text", non_empty=False)
        start = subtitle.number("start_time", minimum=0)
        end = subtitle.number("end_time", minimum=0)
        if end < start:
            raise subtitle.error("end_time", f"must not be before start_time ({start:g})")
        if not subtitle.boolean("enabled", required=False, default=True):
            continue
        middle = min((start + end) / 2, max(0.0, duration - 0.05))
        picture = await _frame(call, path, middle, min(width, RECOGNITION_MAX_WIDTH))
        frames.append(
            {
                "subtitle_id": subtitle_id,
                "subtitle_text": text,
                "timestamp": middle,
                "frame_data": list(picture.image),
                "start_time": start,
                "end_time": end,
            }
        )
    return frames


def _file_id(call: TauriCall) -> str:
    # The frontend sends both spellings (use-media-preview: fileId; use-frame-preview: file_id).
    if "fileId" not in call.args.raw and "file_id" in call.args.raw:
        return call.args.string("file_id")
    return call.args.string("fileId")


async def save_timeline_frames(call: TauriCall) -> None:
    """`{fileId, frames: [{timestamp, base64_data, is_keyframe}]}` into the file's preview data."""
    file_id = _file_id(call)
    raw = call.args.raw.get("frames")
    if not isinstance(raw, list):
        raise call.args.error("frames", "is required (an array of frames)")
    frames = []
    for index, item in enumerate(raw):
        frame = Args(call.name, item, f"frames[{index}].")
        data = frame.string("base64_data")
        try:
            base64.b64decode(data, validate=True)
        except ValueError:
            raise frame.error("base64_data", "is not base64") from None
        frames.append(
            {
                "timestamp": frame.number("timestamp", minimum=0),
                "base64_data": data,
                "is_keyframe": frame.boolean("is_keyframe", required=False, default=False),
            }
        )
    await save_sections(call, file_id, "", {"timeline_frames": frames})


async def get_timeline_frames(call: TauriCall) -> list[dict[str, Any]]:
    data = await load_sections(call, _file_id(call))
    if data is None or "timeline_frames" not in data.sections:
        return []
    frames: list[dict[str, Any]] = json_format.MessageToDict(data.sections)["timeline_frames"]
    return frames


COMMANDS = [
    TauriCommand("extract_timeline_frames", extract_timeline_frames, ("media",)),
    TauriCommand("extract_recognition_frames", extract_recognition_frames, ("media",)),
    TauriCommand("extract_subtitle_frames", extract_subtitle_frames, ("media",)),
    TauriCommand("save_timeline_frames", save_timeline_frames, ("media",)),
    TauriCommand("get_timeline_frames", get_timeline_frames, ("media",)),
]
