"""What a probe finds in a file, independent of PyAV and of the wire format."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from svckit.source_description import SourceDescription


class MediaKind(enum.Enum):
    VIDEO = "video"
    AUDIO = "audio"
    IMAGE = "image"


class StreamType(enum.Enum):
    VIDEO = "video"
    AUDIO = "audio"
    SUBTITLE = "subtitle"
    DATA = "data"


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: StreamType
    codec: str = ""
    codec_long_name: str = ""
    profile: str = ""
    bit_rate: int = 0
    duration_seconds: float = 0.0
    # 0 when the container does not say.
    frame_count: int = 0
    language: str = ""
    width: int = 0
    height: int = 0
    pixel_format: str = ""
    fps: float = 0.0
    avg_fps: float = 0.0
    # Clockwise degrees the picture must be turned for display: 0, 90, 180 or 270.
    rotation: int = 0
    sample_aspect_ratio: str = ""
    display_aspect_ratio: str = ""
    variable_frame_rate: bool = False
    sample_rate: int = 0
    channels: int = 0
    channel_layout: str = ""
    sample_format: str = ""
    # A video stream that is an attached picture (cover art), not video.
    attached_picture: bool = False

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, after rotation."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class MediaInfo:
    path: str
    kind: MediaKind
    container: str
    container_long_name: str = ""
    duration_seconds: float = 0.0
    bit_rate: int = 0
    size_bytes: int = 0
    start_time_seconds: float = 0.0
    # ISO 8601, empty when the container has no creation_time.
    creation_time: str = ""
    streams: tuple[StreamInfo, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    # How the file must be shown; None when it could not be read (a picture over the budget).
    source: SourceDescription | None = None

    @property
    def video(self) -> StreamInfo | None:
        """The first video stream that is not cover art, if any."""
        return next((s for s in self.streams if s.type is StreamType.VIDEO and not s.attached_picture), None)

    @property
    def audio(self) -> StreamInfo | None:
        """The first audio stream, if any."""
        return next((s for s in self.streams if s.type is StreamType.AUDIO), None)


def clockwise_rotation(counterclockwise_degrees: float) -> int:
    """Turn a display-matrix angle (counter-clockwise, -180..180) into 0/90/180/270 clockwise."""
    return round(-counterclockwise_degrees / 90.0) % 4 * 90


def is_variable_frame_rate(real_fps: float, avg_fps: float, tolerance: float = 0.01) -> bool:
    """The average rate differs from the base rate by more than `tolerance` (relative): frames
    are not evenly spaced, so time → frame needs timestamps, not arithmetic."""
    if real_fps <= 0 or avg_fps <= 0:
        return False
    return abs(real_fps - avg_fps) / real_fps > tolerance
