"""Text rasterised with Pillow (the bundled FFmpeg has no drawtext)."""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from svckit.errors import FailedPrecondition

from tstudio_compiler.adapters.source_files import DEFAULT_MAX_PICTURE_PIXELS
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.model import TextSource
from tstudio_compiler.domain.plan import InputSpec

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if name:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            log.warning("font %r not found; using the default", name)
    return ImageFont.load_default(size=size)


# A text picture may cover this many frames' worth of pixels (it can be scaled down or sit partly
# off screen); beyond that it is laid out at a smaller font size.
FRAMES_OF_TEXT = 4


def rasterise(
    text: TextSource, frame: tuple[int, int] = (0, 0), max_pixels: int = DEFAULT_MAX_PICTURE_PIXELS
) -> Image.Image:
    """An RGBA image just large enough for the text (with stroke and a small margin), laid out
    against the frame: if it would cover more than FRAMES_OF_TEXT frames (or `max_pixels`), the font
    shrinks until it fits, measured before any pixel is allocated."""
    budget = max_pixels
    if frame[0] > 0 and frame[1] > 0:
        budget = min(budget, FRAMES_OF_TEXT * frame[0] * frame[1])
    size = max(1, round(text.font_size))
    stroke = round(text.stroke_width)
    for _ in range(8):
        font, left, top, width, height, margin = _layout(text, size, stroke)
        if width * height <= budget or size == 1:
            break
        shrink = math.sqrt(budget / (width * height)) * 0.98
        log.info(
            "text of %dx%d px is over its budget; font %d -> %d", width, height, size, int(size * shrink)
        )
        size = max(1, int(size * shrink))
        stroke = int(stroke * shrink)
    if width * height > budget:
        raise FailedPrecondition(
            f"the text does not fit the pixel budget ({budget} pixels) even at the smallest size",
            reason="PICTURE_TOO_LARGE",
        )
    background = parse_color(text.background_color) if text.background_color else None
    image = Image.new("RGBA", (width, height), background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    fill = parse_color(text.color) or (255, 255, 255, 255)
    stroke_fill = parse_color(text.stroke_color) if text.stroke_color else None
    draw.multiline_text(
        (margin - left, margin - top),
        text.text,
        font=font,
        fill=fill,
        align=text.align or "center",
        stroke_width=stroke,
        stroke_fill=stroke_fill,
    )
    return image


def _layout(
    text: TextSource, size: int, stroke: int
) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, float, float, int, int, int]:
    font = _font(text.font, size)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), text.text, font=font, stroke_width=stroke, align=text.align or "center"
    )
    margin = max(2, size // 8)
    width = int(right - left) + 2 * margin
    height = int(bottom - top) + 2 * margin
    return font, left, top, width + width % 2, height + height % 2, margin


class TextImageFolder:
    """Rasterised text as PNG files named by content, for the ffmpeg command to read."""

    def __init__(self, folder: Path, max_pixels: int = DEFAULT_MAX_PICTURE_PIXELS) -> None:
        self._folder = folder
        self._max_pixels = max_pixels

    def path_for(self, spec: InputSpec) -> str:
        assert spec.text is not None
        frame = (spec.width, spec.height)
        name = hashlib.sha256(repr((spec.text, frame, self._max_pixels)).encode()).hexdigest()[:16]
        path = self._folder / f"text-{name}.png"
        if not path.exists():
            self._folder.mkdir(parents=True, exist_ok=True)
            rasterise(spec.text, frame, self._max_pixels).save(path)
        return str(path)
