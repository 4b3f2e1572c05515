"""Decoded frames to encoded pictures: scale (in FFmpeg's swscale), turn for display, encode with
Pillow; and sprite sheets of several pictures."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tstudio_media.adapters.hdr_pictures import tone_mapped_rgb
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


# Source matrix (FFmpeg name) -> swscale's coefficients; anything else is read as BT.601.
_COLORSPACES = {
    "bt709": "ITU709",
    "bt470bg": "ITU601",
    "smpte170m": "ITU601",
    "smpte240m": "SMPTE240M",
    "fcc": "FCC",
    "bt2020nc": "BT2020",
    "bt2020c": "BT2020",
}


def to_image(grabbed: Grabbed, width: int, height: int, keep_alpha: bool = False) -> Image.Image:
    """The frame as an RGB (RGBA when it has alpha and `keep_alpha`) picture as displayed, fitted
    to the requested box. Range and matrix are given to swscale explicitly from the source
    description; alpha that is not kept is composited over black."""
    display_w, display_h = grabbed.display_size
    if grabbed.rotation in (90, 270):
        # The box is for the turned picture; scale the unturned one to its transposed size.
        out_h, out_w = fit_size(display_h, display_w, width, height)
    else:
        out_w, out_h = fit_size(display_w, display_h, width, height)
    frame: Any = grabbed.frame
    if grabbed.hdr:
        mapped = tone_mapped_rgb(frame, out_w, out_h, grabbed.hdr, grabbed.full_range)
        return _turned(Image.fromarray(mapped, "RGB"), grabbed)
    rgb = frame.reformat(
        width=out_w,
        height=out_h,
        format="rgba" if grabbed.has_alpha else "rgb24",
        interpolation="AREA",
        src_colorspace=_COLORSPACES.get(grabbed.matrix, "ITU601"),
        src_color_range="JPEG" if grabbed.full_range else "MPEG",
        dst_color_range="JPEG",
    )
    if grabbed.has_alpha:
        image = Image.fromarray(rgb.to_ndarray(), "RGBA")
        if not keep_alpha:
            image = Image.alpha_composite(Image.new("RGBA", image.size, (0, 0, 0, 255)), image).convert("RGB")
    else:
        image = Image.fromarray(rgb.to_ndarray(), "RGB")
    return _turned(image, grabbed)


def _turned(image: Image.Image, grabbed: Grabbed) -> Image.Image:
    """Turned upright (then mirrored) as the source description says."""
    transpose = _TRANSPOSE.get(grabbed.rotation)
    if transpose is not None:
        image = image.transpose(transpose)
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if grabbed.mirrored else image


def keeps_alpha(spec: PictureSpec) -> bool:
    """PNG and WebP carry alpha; JPEG does not."""
    return spec.format in (PictureFormat.PNG, PictureFormat.WEBP)


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
    """Paste (picture, x, y) onto a black sheet of `size` (transparent when a picture has alpha)."""
    alpha = any(image.mode == "RGBA" for image, _x, _y in tiles)
    sheet = Image.new("RGBA", size, (0, 0, 0, 0)) if alpha else Image.new("RGB", size)
    for image, x, y in tiles:
        sheet.paste(image, (x, y))
    return sheet
