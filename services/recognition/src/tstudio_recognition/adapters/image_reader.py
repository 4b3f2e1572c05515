"""Still images from request bytes, decoded with Pillow into RGB at analysis size."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError
from svckit.errors import FieldViolation, InvalidArgument

from tstudio_recognition.domain.image_ops import analysis_size

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
                original = image.size
                rgb = image.convert("RGB")
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
