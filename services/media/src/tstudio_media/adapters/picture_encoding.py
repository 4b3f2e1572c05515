"""Decoded frames to encoded pictures: scale (in FFmpeg's swscale), turn for display, encode with
Pillow; and sprite sheets of several pictures."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tstudio_media.adapters.pyav_frames import Grabbed
from tstudio_media.domain.picture_request import PictureFormat, PictureSpec, fit_size

# Pillow turns counter-clockwise; our rotations are clockwise.
_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}
_PIL_FORMATS = {PictureFormat.JPEG: "JPEG", PictureFormat.WEBP: "WEBP", PictureFormat.PNG: "PNG"}


@dataclass(frozen=True)
class EncodedPicture:
    data: bytes
    mime_type: str
    width: int
    height: int


def to_image(grabbed: Grabbed, width: int, height: int) -> Image.Image:
    """The frame as an RGB picture as displayed, fitted to the requested box."""
    display_w, display_h = grabbed.display_size
    if grabbed.rotation in (90, 270):
        # The box is for the turned picture; scale the unturned one to its transposed size.
        out_h, out_w = fit_size(display_h, display_w, width, height)
    else:
        out_w, out_h = fit_size(display_w, display_h, width, height)
    frame: Any = grabbed.frame
    rgb = frame.reformat(width=out_w, height=out_h, format="rgb24", interpolation="AREA")
    image = Image.fromarray(rgb.to_ndarray(), "RGB")
    transpose = _TRANSPOSE.get(grabbed.rotation)
    return image.transpose(transpose) if transpose is not None else image


def encode(image: Image.Image, spec: PictureSpec) -> EncodedPicture:
    buffer = io.BytesIO()
    options: dict[str, Any] = {}
    if spec.format is PictureFormat.PNG:
        options["compress_level"] = 1  # thumbnails are small; speed beats a few bytes
    else:
        options["quality"] = spec.quality
    image.save(buffer, _PIL_FORMATS[spec.format], **options)
    return EncodedPicture(buffer.getvalue(), spec.format.mime_type, image.width, image.height)


def sprite_sheet(tiles: list[tuple[Image.Image, int, int]], size: tuple[int, int]) -> Image.Image:
    """Paste (picture, x, y) onto a black sheet of `size`."""
    sheet = Image.new("RGB", size)
    for image, x, y in tiles:
        sheet.paste(image, (x, y))
    return sheet
