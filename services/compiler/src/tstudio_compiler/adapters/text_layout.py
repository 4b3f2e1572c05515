"""Lays out and draws a text clip with Pillow: font fallback per glyph, wrapping, letter spacing,
line height, alignment, stroke, drop shadow and a rounded background box.

Each line is split into runs of characters drawn with the same font (the chosen font, or for a
character it lacks the first fallback that has it, see adapters/fonts.py); a run is drawn in one
call so Pillow (with libraqm) still shapes it. Letter spacing draws character by character.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from svckit.errors import FailedPrecondition

from tstudio_compiler.adapters.fonts import FontBook, charset
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.model import TextSource

Font = ImageFont.FreeTypeFont

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Glyph:
    """One character placed in the picture (its run's font, its left edge, its line's baseline)."""

    char: str
    font: Font
    x: float
    baseline: float
    line: int
    # Index of the run within its line: consecutive glyphs of one run are drawn in one call.
    run: int


class Scene:
    """The text's picture, in parts: the background box and the glyphs, which can be drawn in groups
    (text animations draw each unit on its own). `margin` adds empty pixels on every side."""

    def __init__(
        self, text: TextSource, book: FontBook, margin: tuple[int, int] = (0, 0), max_lines: int = 0
    ) -> None:
        lay = Layout(text, book)
        if max_lines:
            lay.lines = lay.lines[:max_lines]
        self.layout, self.text, self.warning = lay, text, lay.warning
        self.stroke = max(0, round(text.stroke_width))
        pad = round(text.padding) if text.padding > 0 else max(2, lay.size // 8)
        block_w = max((line.width for line in lay.lines), default=0.0)
        block_h = lay.advance * (len(lay.lines) - 1) + lay.ascent + lay.descent
        self.box_w = math.ceil(block_w) + 2 * (pad + self.stroke)
        self.box_h = math.ceil(block_h) + 2 * (pad + self.stroke)
        self.shadow = parse_color(text.shadow_color) if text.shadow_color else None
        self.blur = max(0.0, text.shadow_blur)
        spread = math.ceil(2 * self.blur) if self.shadow else 0
        self.shadow_offset = (round(text.shadow_x), round(text.shadow_y)) if self.shadow else (0, 0)
        sx, sy = self.shadow_offset
        self.left, self.top = max(0, spread - sx) + margin[0], max(0, spread - sy) + margin[1]
        width = self.box_w + self.left + max(0, spread + sx) + margin[0]
        height = self.box_h + self.top + max(0, spread + sy) + margin[1]
        self.size = (width + width % 2, height + height % 2)
        self.fill = parse_color(text.color) or (255, 255, 255, 255)
        self.stroke_fill = parse_color(text.stroke_color) if text.stroke_color else None
        self.glyphs = self._place(block_w, (self.left + pad + self.stroke, self.top + pad + self.stroke))

    def _place(self, block_w: float, origin: tuple[float, float]) -> list[Glyph]:
        lay = self.layout
        align = self.text.align or "center"
        out = []
        for index, line in enumerate(lay.lines):
            x = origin[0]
            if align == "center":
                x += (block_w - line.width) / 2
            elif align == "right":
                x += block_w - line.width
            baseline = origin[1] + lay.ascent + index * lay.advance
            for r, run in enumerate(line.runs):
                for i, char in enumerate(run.text):
                    prefix = run.font.getlength(run.text[:i]) + lay.spacing * i
                    out.append(Glyph(char, run.font, x + prefix, baseline, index, r))
                x += run.font.getlength(run.text) + lay.spacing * len(run.text)
        return out

    def background(self) -> Image.Image:
        image = Image.new("RGBA", self.size, (0, 0, 0, 0))
        colour = parse_color(self.text.background_color) if self.text.background_color else None
        if colour:
            radius = max(0, round(self.text.corner_radius))
            ImageDraw.Draw(image).rounded_rectangle(
                (self.left, self.top, self.left + self.box_w - 1, self.top + self.box_h - 1),
                radius=radius,
                fill=colour,
            )
        return image

    def draw(self, glyphs: list[Glyph], fill: tuple[int, ...] | None = None) -> Image.Image:
        """`glyphs` with their shadow and stroke on a transparent picture of the scene's size
        (in `fill` instead of the text's colour when given)."""
        image = Image.new("RGBA", self.size, (0, 0, 0, 0))
        if self.shadow:
            layer = Image.new("RGBA", self.size, (0, 0, 0, 0))
            self._text(ImageDraw.Draw(layer), glyphs, self.shadow_offset, self.shadow, self.shadow)
            if self.blur:
                layer = layer.filter(ImageFilter.GaussianBlur(self.blur))
            image = Image.alpha_composite(image, layer)
        glyph_layer = Image.new("RGBA", self.size, (0, 0, 0, 0))
        self._text(ImageDraw.Draw(glyph_layer), glyphs, (0, 0), fill or self.fill, self.stroke_fill)
        return Image.alpha_composite(image, glyph_layer)

    def picture(self) -> Image.Image:
        return Image.alpha_composite(self.background(), self.draw(self.glyphs))

    def _text(
        self,
        draw: ImageDraw.ImageDraw,
        glyphs: list[Glyph],
        offset: tuple[int, int],
        fill: tuple[int, ...],
        stroke_fill: tuple[int, ...] | None,
    ) -> None:
        # Consecutive glyphs of one run go in one call (shaping), unless letters are spaced.
        groups: list[list[Glyph]] = []
        for g in glyphs:
            last = groups[-1][-1] if groups else None
            joined = last is not None and (last.line, last.run) == (g.line, g.run) and not self.layout.spacing
            if joined:
                groups[-1].append(g)
            else:
                groups.append([g])
        for group in groups:
            first = group[0]
            draw.text(
                (first.x + offset[0], first.baseline + offset[1]),
                "".join(g.char for g in group),
                font=first.font,
                fill=fill,
                anchor="ls",
                stroke_width=self.stroke,
                stroke_fill=stroke_fill,
            )


def render(text: TextSource, book: FontBook, max_pixels: int = 0) -> tuple[Image.Image, str]:
    """An RGBA image just large enough for the text, its box and shadow; and a warning ("" if none).
    With `max_pixels`, a text whose picture would be larger is laid out smaller until it fits."""
    scene = fitted_scene(text, book, max_pixels)
    return scene.picture(), scene.warning


def fitted_scene(text: TextSource, book: FontBook, max_pixels: int = 0) -> Scene:
    """The text's scene within `max_pixels` (0: any size): the size is measured before any pixel is
    allocated, and the font (and stroke) shrink until the picture fits."""
    scene = Scene(text, book)
    for _ in range(8):
        width, height = scene.size
        if not max_pixels or width * height <= max_pixels or text.font_size <= 1:
            break
        shrink = math.sqrt(max_pixels / (width * height)) * 0.98
        log.info(
            "text of %dx%d px is over its budget; font %g -> %g",
            width,
            height,
            text.font_size,
            text.font_size * shrink,
        )
        text = replace(
            text, font_size=max(1.0, text.font_size * shrink), stroke_width=text.stroke_width * shrink
        )
        scene = Scene(text, book)
    width, height = scene.size
    if max_pixels and width * height > max_pixels:
        raise FailedPrecondition(
            f"the text does not fit the pixel budget ({max_pixels} pixels) even at the smallest size",
            reason="PICTURE_TOO_LARGE",
        )
    return scene
