"""Lays out and draws a text clip with Pillow: font fallback per glyph, wrapping, letter spacing,
line height, alignment, stroke, drop shadow and a rounded background box.

Each line is split into runs of characters drawn with the same font (the chosen font, or for a
character it lacks the first fallback that has it, see adapters/fonts.py); a run is drawn in one
call so Pillow (with libraqm) still shapes it. Letter spacing draws character by character.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tstudio_compiler.adapters.fonts import FontBook, charset
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.model import TextSource

Font = ImageFont.FreeTypeFont


@functools.lru_cache(maxsize=128)
def _font(path: str, size: int) -> Font:
    return ImageFont.truetype(path, size)


@dataclass(frozen=True)
class Run:
    text: str
    font: Font


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]
    width: float


class Layout:
    def __init__(self, text: TextSource, book: FontBook) -> None:
        self.text = text
        self.size = max(1, round(text.font_size))
        resolved = book.resolve(text.font)
        self.warning = resolved.warning
        self.primary = resolved.path
        self._book = book
        self.spacing = text.letter_spacing
        font = _font(self.primary, self.size)
        self.ascent, self.descent = font.getmetrics()
        self.advance = (self.ascent + self.descent) * (text.line_height or 1.0)
        self.lines = [line for paragraph in text.text.split("\n") for line in self._wrap(paragraph)]

    def _font_for(self, char: str) -> str:
        if char.isspace() or ord(char) in charset(self.primary):
            return self.primary
        return self._book.fallback(char) or self.primary

    def _runs(self, text: str) -> tuple[Run, ...]:
        runs: list[Run] = []
        current, start = "", 0
        for i, char in enumerate(text):
            path = self._font_for(char)
            if i and path != current:
                runs.append(Run(text[start:i], _font(current, self.size)))
                start = i
            current = path
        if text:
            runs.append(Run(text[start:], _font(current, self.size)))
        return tuple(runs)

    def _measure(self, runs: tuple[Run, ...]) -> float:
        width = sum(r.font.getlength(r.text) for r in runs)
        count = sum(len(r.text) for r in runs)
        return width + self.spacing * max(0, count - 1)

    def _line(self, text: str) -> Line:
        runs = self._runs(text)
        return Line(runs, self._measure(runs))

    def _wrap(self, paragraph: str) -> list[Line]:
        limit = self.text.max_width
        whole = self._line(paragraph)
        if limit <= 0 or whole.width <= limit:
            return [whole]
        lines: list[Line] = []
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if self._line(candidate).width <= limit or not current:
                current = candidate
            else:
                lines.append(self._line(current))
                current = word
            # A single word wider than the limit is broken between characters.
            while self._line(current).width > limit and len(current) > 1:
                cut = len(current) - 1
                while cut > 1 and self._line(current[:cut]).width > limit:
                    cut -= 1
                lines.append(self._line(current[:cut]))
                current = current[cut:]
        lines.append(self._line(current))
        return lines


def render(text: TextSource, book: FontBook) -> tuple[Image.Image, str]:
    """An RGBA image just large enough for the text, its box and shadow; and a warning ("" if none)."""
    lay = Layout(text, book)
    stroke = max(0, round(text.stroke_width))
    pad = round(text.padding) if text.padding > 0 else max(2, lay.size // 8)
    block_w = max((line.width for line in lay.lines), default=0.0)
    block_h = lay.advance * (len(lay.lines) - 1) + lay.ascent + lay.descent
    box_w = math.ceil(block_w) + 2 * (pad + stroke)
    box_h = math.ceil(block_h) + 2 * (pad + stroke)
    shadow = parse_color(text.shadow_color) if text.shadow_color else None
    blur = max(0.0, text.shadow_blur)
    spread = math.ceil(2 * blur) if shadow else 0
    sx, sy = (round(text.shadow_x), round(text.shadow_y)) if shadow else (0, 0)
    left, top = max(0, spread - sx), max(0, spread - sy)
    width = box_w + left + max(0, spread + sx)
    height = box_h + top + max(0, spread + sy)
    width += width % 2
    height += height % 2
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    background = parse_color(text.background_color) if text.background_color else None
    if background:
        radius = max(0, round(text.corner_radius))
        ImageDraw.Draw(image).rounded_rectangle(
            (left, top, left + box_w - 1, top + box_h - 1), radius=radius, fill=background
        )
    origin = (left + pad + stroke, top + pad + stroke)
    fill = parse_color(text.color) or (255, 255, 255, 255)
    stroke_fill = parse_color(text.stroke_color) if text.stroke_color else None
    if shadow:
        layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
        _draw(lay, ImageDraw.Draw(layer), (origin[0] + sx, origin[1] + sy), block_w, shadow, stroke, shadow)
        if blur:
            layer = layer.filter(ImageFilter.GaussianBlur(blur))
        image = Image.alpha_composite(image, layer)
    glyphs = Image.new("RGBA", image.size, (0, 0, 0, 0))
    _draw(lay, ImageDraw.Draw(glyphs), origin, block_w, fill, stroke, stroke_fill)
    return Image.alpha_composite(image, glyphs), lay.warning


def _draw(
    lay: Layout,
    draw: ImageDraw.ImageDraw,
    origin: tuple[float, float],
    block_w: float,
    fill: tuple[int, ...],
    stroke: int,
    stroke_fill: tuple[int, ...] | None,
) -> None:
    align = lay.text.align or "center"
    for index, line in enumerate(lay.lines):
        x = origin[0]
        if align == "center":
            x += (block_w - line.width) / 2
        elif align == "right":
            x += block_w - line.width
        baseline = origin[1] + lay.ascent + index * lay.advance
        for run in line.runs:
            for chunk in list(run.text) if lay.spacing else [run.text]:
                draw.text(
                    (x, baseline),
                    chunk,
                    font=run.font,
                    fill=fill,
                    anchor="ls",
                    stroke_width=stroke,
                    stroke_fill=stroke_fill,
                )
                x += run.font.getlength(chunk) + lay.spacing
