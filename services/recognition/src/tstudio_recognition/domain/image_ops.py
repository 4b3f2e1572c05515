"""Resizing and letterboxing of RGB frames (H, W, 3) in numpy, for model inputs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def analysis_size(width: int, height: int, max_side: int, multiple: int = 32) -> tuple[int, int]:
    """The size frames are analysed at: the longer side at most `max_side`, never upscaled, each side a
    multiple of `multiple` (what the fully convolutional detectors need). Boxes are reported normalised,
    so the slight stretch this causes does not move them."""
    scale = min(1.0, max_side / max(width, height))
    w = max(multiple, round(width * scale / multiple) * multiple)
    h = max(multiple, round(height * scale / multiple) * multiple)
    return w, h


def resize_bilinear(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of an (H, W, C) array (half-pixel centres, like OpenCV); returns float32."""
    src_h, src_w = image.shape[:2]
    if (src_w, src_h) == (width, height):
        return image.astype(np.float32)
    ys = (np.arange(height, dtype=np.float32) + 0.5) * (src_h / height) - 0.5
    xs = (np.arange(width, dtype=np.float32) + 0.5) * (src_w / width) - 0.5
    ys = np.clip(ys, 0, src_h - 1)
    xs = np.clip(xs, 0, src_w - 1)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1 = np.minimum(y0 + 1, src_h - 1)
    x1 = np.minimum(x0 + 1, src_w - 1)
    wy = (ys - y0)[:, None, None]
    wx = (xs - x0)[None, :, None]
    src = image.astype(np.float32)
    if src.ndim == 2:
        src = src[:, :, None]
    top = src[y0][:, x0] * (1 - wx) + src[y0][:, x1] * wx
    bottom = src[y1][:, x0] * (1 - wx) + src[y1][:, x1] * wx
    out = top * (1 - wy) + bottom * wy
    return out if image.ndim == 3 else out[:, :, 0]


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into a model input: scaled by `scale`, then padded by `pad_x`, `pad_y`."""

    scale: float
    pad_x: float
    pad_y: float

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Map boxes from model-input pixels back to frame pixels."""
        out = xyxy.astype(np.float32).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        return out


def letterbox(
    image: np.ndarray, width: int, height: int, fill: float = 114.0
) -> tuple[np.ndarray, Letterbox]:
    """Scale `image` to fit (width, height) keeping its aspect ratio and centre it on a `fill` canvas,
    as the YOLOv8/11 exporters expect. Returns the float32 canvas and the mapping back."""
    src_h, src_w = image.shape[:2]
    scale = min(width / src_w, height / src_h)
    new_w = max(1, round(src_w * scale))
    new_h = max(1, round(src_h * scale))
    pad_x = (width - new_w) / 2
    pad_y = (height - new_h) / 2
    canvas = np.full((height, width, image.shape[2]), fill, dtype=np.float32)
    left, top = math.floor(pad_x), math.floor(pad_y)
    canvas[top : top + new_h, left : left + new_w] = resize_bilinear(image, new_w, new_h)
    return canvas, Letterbox(scale=scale, pad_x=float(left), pad_y=float(top))


def to_nchw(
    images: list[np.ndarray] | np.ndarray, scale: float = 1.0, mean: float = 0.0, std: float = 1.0
) -> np.ndarray:
    """Stack (H, W, 3) images into a float32 NCHW batch computing `(pixel * scale - mean) / std`."""
    batch = (
        np.stack(images).astype(np.float32, copy=False)
        if isinstance(images, list)
        else images.astype(np.float32)
    )
    if scale != 1.0 or mean != 0.0 or std != 1.0:
        batch = (batch * scale - mean) / std
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
