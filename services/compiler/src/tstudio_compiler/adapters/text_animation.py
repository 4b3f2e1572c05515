"""Frames of an animated text clip: each unit (character, word or line) drawn once as a sprite and
composited per frame in the state domain/text_motion.py gives it.

Every frame has the size of the static picture plus a margin for units that move outside it, so the
clip's place on screen (its centre) is the same as without animation; frames at rest are the static
picture itself. Units are cut in logical order: by char and by word assume left-to-right text
(by line is exact for any direction).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tstudio_compiler.adapters.fonts import FontBook
from tstudio_compiler.adapters.text_layout import Glyph, Scene
from tstudio_compiler.domain import text_motion
from tstudio_compiler.domain.model import TextSource


def margin(text: TextSource) -> tuple[int, int]:
    """Room (x, y) for units away from their place, from the largest offsets text_motion gives
    (slides 1.5 font sizes, bounces 1.2, ...). Even, so the picture lands on the same 4:2:0 chroma
    grid as the static text (whose size is even too); none for types that do not move."""
    x = y = 0.0
    for anim in (text.animate_in, text.animate_out):
        if anim is None:
            continue
        dx, dy = _REACH.get(anim.type, (0.0, 0.0))
        if anim.type == "slide":
            dx, dy = (1.5, 0.0) if anim.direction in ("", "left", "right") else (0.0, 1.5)
        x, y = max(x, dx), max(y, dy)
    size = max(1.0, text.font_size)
    return 2 * math.ceil(x * size / 2), 2 * math.ceil(y * size / 2)


# Font sizes a unit may move from its place, per type (slide depends on its direction).
_REACH = {
    "wave": (0.0, 0.55),
    "bounce": (0.0, 1.25),
    "shake": (0.3, 0.0),
    "ascend": (0.0, 0.85),
    "shift": (0.85, 0.0),
    "movingLetters": (0.0, 0.65),
}


@dataclass(frozen=True)
class Sprite:
    image: np.ndarray  # RGBA, uint8
    x: int
    y: int


def units(glyphs: list[Glyph], by: str) -> list[list[Glyph]]:
    """Glyphs grouped into animation units (spaces are no character or word of their own)."""
    if by == "char":
        return [[g] for g in glyphs if not g.char.isspace()]
    groups: list[list[Glyph]] = []
    previous: Glyph | None = None
    for g in glyphs:
        if by == "word" and g.char.isspace():
            previous = None
            continue
        if previous is not None and previous.line == g.line:
            groups[-1].append(g)
        else:
            groups.append([g])
        previous = g
    return groups


class AnimatedText:
    """Pictures of one text clip `clip_frames` long at `fps`, as RGBA arrays."""

    def __init__(self, text: TextSource, book: FontBook, fps: float, clip_frames: int) -> None:
        self.text, self.fps = text, fps
        self.length = clip_frames / fps
        self.scene = Scene(text, book, margin(text))
        self.background = np.asarray(self.scene.background())
        self.static = np.asarray(self.scene.picture())
        self.size = self.scene.size

    @functools.lru_cache(maxsize=4)  # noqa: B019 - lives as long as its feeder
    def sprites(self, by: str) -> list[Sprite]:
        out = []
        for unit in units(self.scene.glyphs, by):
            picture = self.scene.draw(unit)
            box = picture.getbbox()
            if box is None:
                continue
            out.append(Sprite(np.asarray(picture.crop(box)), box[0], box[1]))
        return out

    def picture(self, local_frame: int) -> np.ndarray:
        t = local_frame / self.fps
        a_in, a_out = self.text.animate_in, self.text.animate_out
        count_in = len(self.sprites(a_in.unit)) if a_in else 0
        count_out = len(self.sprites(a_out.unit)) if a_out else 0
        states, by = text_motion.states(a_in, a_out, t, self.length, count_in, count_out)
        if states is None:
            return self.static
        canvas = self.background.astype(np.float32) / 255
        size = max(1.0, self.text.font_size)
        for index, (sprite, state) in enumerate(zip(self.sprites(by), states, strict=True)):
            if state.alpha <= 0 or state.reveal <= 0:
                continue
            image = sprite.image
            x = sprite.x + state.dx * size
            y = sprite.y + state.dy * size
            if state.scale != 1.0:
                h, w = image.shape[:2]
                nw, nh = max(1, round(w * state.scale)), max(1, round(h * state.scale))
                image = np.asarray(Image.fromarray(image).resize((nw, nh), Image.Resampling.BILINEAR))
                x += (w - nw) / 2
                y += (h - nh) / 2
            alpha = image[..., 3].astype(np.float32) / 255 * state.alpha
            if state.reveal < 1:
                noise = np.random.default_rng(index).random(alpha.shape)
                alpha = alpha * (noise < state.reveal)
            _blend(canvas, image, alpha, round(x), round(y))
        return (np.clip(canvas, 0, 1) * 255 + 0.5).astype(np.uint8)


def _blend(canvas: np.ndarray, image: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Source-over of `image` (with `alpha`) onto the float RGBA `canvas` at (x, y), clipped."""
    height, width = canvas.shape[:2]
    h, w = alpha.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    src = image[y0 - y : y1 - y, x0 - x : x1 - x, :3].astype(np.float32) / 255
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    dst = canvas[y0:y1, x0:x1]
    out_a = a + dst[..., 3:4] * (1 - a)
    safe = np.where(out_a > 0, out_a, 1)
    dst[..., :3] = (src * a + dst[..., :3] * dst[..., 3:4] * (1 - a)) / safe
    dst[..., 3:4] = out_a
