"""Named output presets for the platforms users publish to (`output.platformPreset`).

Each is a documented size, frame rate, codec and bitrate (docs/compositing.md); any output field the
project sets explicitly wins over the preset's. (`output.preset` is the encoder's speed preset.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformPreset:
    width: int
    height: int
    fps: float
    container: str
    video_codec: str
    video_bitrate: int
    audio_codec: str
    audio_bitrate: int


PLATFORM_PRESETS: dict[str, PlatformPreset] = {
    # YouTube's recommended upload settings (SDR, 24-30 fps): H.264, 8 Mb/s at 1080p, 35-45 at 2160p.
    "youtube-1080p": PlatformPreset(1920, 1080, 30, "mp4", "h264", 8_000_000, "aac", 384_000),
    "youtube-4k": PlatformPreset(3840, 2160, 30, "mp4", "h264", 40_000_000, "aac", 384_000),
    # Vertical short video: 9:16 at 1080x1920.
    "tiktok": PlatformPreset(1080, 1920, 30, "mp4", "h264", 8_000_000, "aac", 192_000),
    "reels-1080x1920": PlatformPreset(1080, 1920, 30, "mp4", "h264", 8_000_000, "aac", 192_000),
    "instagram-square": PlatformPreset(1080, 1080, 30, "mp4", "h264", 5_000_000, "aac", 192_000),
    "instagram-portrait-4x5": PlatformPreset(1080, 1350, 30, "mp4", "h264", 5_000_000, "aac", 192_000),
    "twitter": PlatformPreset(1280, 720, 30, "mp4", "h264", 5_000_000, "aac", 128_000),
    "preview-360p": PlatformPreset(640, 360, 30, "mp4", "h264", 800_000, "aac", 96_000),
}
