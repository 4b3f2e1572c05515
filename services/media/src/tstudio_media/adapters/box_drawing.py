"""Boxes drawn onto a JPEG this service made (detections on a thumbnail), with Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

COLOURS = ((255, 64, 64), (64, 200, 64), (64, 128, 255), (255, 200, 0), (200, 64, 255))


@dataclass(frozen=True)
class RelativeBox:
    x: float
    y: float
    width: float
    height: float
    label: str = ""


def draw_boxes(jpeg: bytes, boxes: Sequence[RelativeBox], quality: int = 85) -> bytes:
    """`jpeg` with each box outlined (a colour per label) and its label written at its corner."""
    with Image.open(io.BytesIO(jpeg)) as source:
        picture = source.convert("RGB")
    draw = ImageDraw.Draw(picture)
    width, height = picture.size
    line = max(1, round(min(width, height) / 100))
    colours: dict[str, tuple[int, int, int]] = {}
    for box in boxes:
        colour = colours.setdefault(box.label, COLOURS[len(colours) % len(COLOURS)])
        left, top = box.x * width, box.y * height
        right, bottom = left + box.width * width, top + box.height * height
        draw.rectangle((left, top, right, bottom), outline=colour, width=line)
        if box.label:
            draw.text((left + line + 1, top + line + 1), box.label, fill=colour)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()
