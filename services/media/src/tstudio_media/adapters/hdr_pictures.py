"""HDR (PQ, HLG) frames as SDR BT.709 pictures for thumbnails and filmstrips: swscale to 16-bit
R'G'B' at the picture's size (BT.2020 matrix and the source's range named), then
`svckit.tone_mapping` (the compiler's method, docs/colour.md) per pixel; the bundled FFmpeg has no
zscale, and a thumbnail is small."""

from __future__ import annotations

from typing import Any

import numpy as np
from svckit.tone_mapping import sdr_from_hdr


def tone_mapped_rgb(frame: Any, width: int, height: int, hdr: str, full_range: bool) -> np.ndarray:
    """8-bit R'G'B' (BT.709, gamma 2.4) of an HDR frame scaled to width x height."""
    encoded = frame.reformat(
        width=width,
        height=height,
        format="rgb48le",
        interpolation="AREA",
        src_colorspace="BT2020",
        src_color_range="JPEG" if full_range else "MPEG",
        dst_color_range="JPEG",
    ).to_ndarray()
    display = sdr_from_hdr(encoded.astype(np.float32) / 65535.0, hdr)
    return np.asarray(np.round(display * 255.0), dtype=np.uint8)
