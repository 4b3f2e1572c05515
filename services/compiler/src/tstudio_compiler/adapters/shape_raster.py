"""Mask shapes (rectangle with rounded corners, ellipse) rasterised with Pillow as grey pictures of
the output size: white inside (reveals), black outside, the edge softened by `feather` pixels."""

from __future__ import annotations

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tstudio_compiler.domain.compositing import ShapeMask


def shape_frame(shape: ShapeMask, width: int, height: int) -> av.VideoFrame:
    # Drawn at 4x and reduced: smooth edges without a feather.
    scale = 4
    image = Image.new("L", (width * scale, height * scale), 0)
    draw = ImageDraw.Draw(image)
    cx, cy = shape.x * width * scale, shape.y * height * scale
    half_w, half_h = shape.width * width * scale / 2, shape.height * height * scale / 2
    box = (cx - half_w, cy - half_h, cx + half_w - 1, cy + half_h - 1)
    if shape.type == "ellipse":
        draw.ellipse(box, fill=255)
    else:
        radius = min(shape.radius * scale, half_w, half_h)
        draw.rounded_rectangle(box, radius=radius, fill=255)
    image = image.resize((width, height), Image.Resampling.BOX)
    if shape.feather > 0:
        image = image.filter(ImageFilter.GaussianBlur(shape.feather / 2))
    return av.VideoFrame.from_ndarray(np.asarray(image), format="gray")
