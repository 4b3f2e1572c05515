"""Text rasterised with Pillow (the bundled FFmpeg has no drawtext)."""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

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


def rasterise(text: TextSource) -> Image.Image:
    """An RGBA image just large enough for the text (with stroke and a small margin)."""
    size = max(1, round(text.font_size))
    font = _font(text.font, size)
    stroke = round(text.stroke_width)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), text.text, font=font, stroke_width=stroke, align=text.align or "center"
    )
    margin = max(2, size // 8)
    width = int(right - left) + 2 * margin
    height = int(bottom - top) + 2 * margin
    width += width % 2
    height += height % 2
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


class TextImageFolder:
    """Rasterised text as PNG files named by content, for the ffmpeg command to read."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def path_for(self, spec: InputSpec) -> str:
        assert spec.text is not None
        name = hashlib.sha256(repr(spec.text).encode()).hexdigest()[:16]
        path = self._folder / f"text-{name}.png"
        if not path.exists():
            self._folder.mkdir(parents=True, exist_ok=True)
            rasterise(spec.text).save(path)
        return str(path)
