"""Checks on picture requests (thumbnails, filmstrip tiles) and the size a picture comes out at."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from svckit.errors import FieldViolation, InvalidArgument

MAX_SIDE = 4096
# No media file lasts this long (115 days); a larger time is a client's mistake, and 1e308 or
# Infinity would overflow the seek arithmetic into an INTERNAL error.
MAX_MEDIA_SECONDS = 10_000_000.0
DEFAULT_QUALITY = 85


class PictureFormat(enum.Enum):
    JPEG = "jpeg"
    WEBP = "webp"
    PNG = "png"

    @property
    def mime_type(self) -> str:
        return f"image/{self.value}"


class SeekMode(enum.Enum):
    FAST = "fast"
    ACCURATE = "accurate"


@dataclass(frozen=True)
class PictureSpec:
    """How a picture is delivered: requested box (0 = free), format and quality."""

    width: int = 0
    height: int = 0
    format: PictureFormat = PictureFormat.JPEG
    quality: int = DEFAULT_QUALITY


def picture_spec(
    width: int, height: int, fmt: PictureFormat, quality: int, *, prefix: str = ""
) -> PictureSpec:
    """Validate the caller's size and quality; field paths get `prefix` (e.g. "tile_")."""
    violations = []
    for name, value in ((f"{prefix}width", width), (f"{prefix}height", height)):
        if value < 0 or value > MAX_SIDE:
            violations.append(FieldViolation(name, f"must be between 0 and {MAX_SIDE}"))
    if quality < 0 or quality > 100:
        violations.append(FieldViolation("quality", "must be between 1 and 100 (0 = default)"))
    if violations:
        raise InvalidArgument("invalid picture size or quality", field_violations=violations)
    return PictureSpec(width, height, fmt, quality or DEFAULT_QUALITY)


def check_time(seconds: float, field: str) -> float:
    """A time within a media file: finite, 0 to MAX_MEDIA_SECONDS, else INVALID_ARGUMENT on `field`."""
    if not 0 <= seconds <= MAX_MEDIA_SECONDS:  # NaN fails every comparison
        raise InvalidArgument(
            f"{field} must be a number of seconds from 0 to {MAX_MEDIA_SECONDS:g}",
            field_violations=[FieldViolation(field, f"must be finite, from 0 to {MAX_MEDIA_SECONDS:g}")],
        )
    return seconds


def fit_size(display_width: int, display_height: int, width: int, height: int) -> tuple[int, int]:
    """The output size for a picture displayed at `display_width`x`display_height`: one requested
    side keeps the aspect, both fit inside the box, neither keeps the display size."""
    if display_width <= 0 or display_height <= 0:
        raise ValueError("display size must be positive")
    if width and height:
        scale = min(width / display_width, height / display_height)
    elif width:
        scale = width / display_width
    elif height:
        scale = height / display_height
    else:
        scale = 1.0
    return max(1, round(display_width * scale)), max(1, round(display_height * scale))
