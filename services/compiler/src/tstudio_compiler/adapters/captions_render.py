"""Pictures of burnt-in captions: for each set of showing cues, one transparent frame-sized RGBA
picture with each cue laid out (adapters/text_layout.py) and placed as its style says."""

from __future__ import annotations

import av
import numpy as np
from PIL import Image

from tstudio_compiler.adapters.fonts import FontBook
from tstudio_compiler.adapters.text_layout import Scene
from tstudio_compiler.domain.captions import CaptionsSource, CaptionStyle, Cue, active, sung
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.model import TextSource


class CaptionPictures:
    def __init__(self, captions: CaptionsSource, book: FontBook, width: int, height: int) -> None:
        self.captions, self.book = captions, book
        self.width, self.height = width, height

    def showing(self, source_time: float) -> tuple[tuple[int, int], ...]:
        """(cue, karaoke syllable or -1) for each cue showing: what decides the picture."""
        cues = self.captions.cues
        highlight = bool(self.captions.style.highlight_color)
        return tuple((i, sung(cues[i], source_time) if highlight else -1) for i in active(cues, source_time))

    def picture(self, showing: tuple[tuple[int, int], ...]) -> np.ndarray:
        canvas = Image.new("RGBA", (self.width, self.height), (0, 0, 0, 0))
        style = self.captions.style
        stacked = {"bottom": 0, "top": 0, "middle": 0, "custom": 0}
        # Later cues stack away from the edge (above at the bottom, below at the top).
        for index, syllable in showing:
            cue = self.captions.cues[index]
            text = self._text(cue, style)
            if not text.text.strip():
                continue
            scene = Scene(text, self.book, max_lines=style.max_lines)
            image = scene.picture()
            if syllable >= 0:
                _, _, first, last = cue.syllables[syllable]
                visible = [g for g in scene.glyphs if not g.char.isspace()][first:last]
                colour = parse_color(style.highlight_color)
                image = Image.alpha_composite(image, scene.draw(visible, colour))
            position = style.position or cue.position or "bottom"
            x, y = self._place(image.size, position, text.align, stacked[position], style)
            stacked[position] += image.height
            canvas.alpha_composite(image, (max(0, x), max(0, y)))
        return np.asarray(canvas)

    def _text(self, cue: Cue, style: CaptionStyle) -> TextSource:
        h = self.height
        size = style.font_size or (cue.font_size * h if cue.font_size else 0.055 * h)
        if style.outline_width >= 0:
            outline = style.outline_width
        elif cue.outline_width >= 0:
            outline = cue.outline_width * h
        else:
            outline = size / 16
        margin_h = style.margin_h if style.margin_h >= 0 else 0.05 * self.width
        return TextSource(
            text=cue.text,
            font_size=size,
            color=style.color or cue.color or "#ffffff",
            font=style.font or cue.font,
            background_color=style.background_color,
            align=style.align or "center",
            stroke_color=style.outline_color or cue.outline_color or "#000000",
            stroke_width=outline,
            shadow_color=style.shadow_color,
            shadow_x=style.shadow_x,
            shadow_y=style.shadow_y,
            shadow_blur=style.shadow_blur,
            line_height=style.line_height,
            max_width=style.max_width or max(1.0, self.width - 2 * margin_h),
            padding=style.padding,
            corner_radius=style.corner_radius,
        )

    def _place(
        self, size: tuple[int, int], position: str, align: str, stacked: int, style: CaptionStyle
    ) -> tuple[int, int]:
        w, h = size
        margin_v = style.margin_v if style.margin_v >= 0 else 0.06 * self.height
        margin_h = style.margin_h if style.margin_h >= 0 else 0.05 * self.width
        if position == "custom":
            return round(style.x * self.width - w / 2), round(style.y * self.height - h / 2 + stacked)
        if align == "left":
            x = round(margin_h)
        elif align == "right":
            x = round(self.width - margin_h - w)
        else:
            x = round((self.width - w) / 2)
        if position == "top":
            return x, round(margin_v + stacked)
        if position == "middle":
            return x, round((self.height - h) / 2 + stacked)
        return x, round(self.height - margin_v - h - stacked)


class CaptionsFeeder:
    """A captions clip's frames: the same picture object while the same cues show."""

    def __init__(self, pictures: CaptionPictures, source_in: float, fps: float) -> None:
        self._pictures, self._source_in, self._fps = pictures, source_in, fps
        self._key: tuple[tuple[int, int], ...] | None = None
        self._frame: av.VideoFrame | None = None

    def frame(self, local_frame: int) -> av.VideoFrame:
        key = self._pictures.showing(self._source_in + local_frame / self._fps)
        if key != self._key or self._frame is None:
            self._key = key
            self._frame = av.VideoFrame.from_ndarray(self._pictures.picture(key), format="rgba")
        return self._frame

    def close(self) -> None:
        pass
