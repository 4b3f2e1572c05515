"""Still images from request bytes, decoded with Pillow into RGB at analysis size, turned upright
by their EXIF orientation first (phone photos are stored sideways), so detections and the reported
size are in the picture as it is shown."""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from svckit.errors import FieldViolation, InvalidArgument

from tstudio_recognition.domain.image_ops import analysis_size

log = logging.getLogger(__name__)

# Refuse decompression bombs: 8K is the largest frame an editor sends.
_MAX_PIXELS = 7680 * 4320


def _too_large() -> InvalidArgument:
    return InvalidArgument(
        "image is too large",
        reason="IMAGE_TOO_LARGE",
        field_violations=[FieldViolation("image", f"at most {_MAX_PIXELS} pixels")],
    )


def decode_image(data: bytes, max_side: int) -> tuple[np.ndarray, tuple[int, int]]:
    """RGB array at analysis size and the image's original (width, height)."""
    if not data:
        raise InvalidArgument("an image is required", field_violations=[FieldViolation("image", "empty")])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > _MAX_PIXELS:
                    raise _too_large()
                upright = _upright(image)
                original = upright.size
                rgb = upright.convert("RGB")
                size = analysis_size(original[0], original[1], max_side)
                resized = rgb.resize(size, Image.Resampling.BILINEAR)
                return np.asarray(resized), original
    except InvalidArgument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large() from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidArgument(
            "cannot decode image",
            reason="IMAGE_UNREADABLE",
            field_violations=[FieldViolation("image", type(exc).__name__)],
        ) from None


def _upright(image: Image.Image) -> Image.Image:
    """The image turned (and mirrored) as its EXIF orientation says; unchanged without one or
    when the EXIF block is damaged (shown as stored rather than refused)."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception as exc:  # Pillow raises assorted errors on damaged EXIF blocks
        log.debug("EXIF orientation not applied: %s", exc)
        return image
