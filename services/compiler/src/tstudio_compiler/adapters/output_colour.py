"""The output colour on PyAV objects: encoder tags and explicit conversions of composited frames."""

from __future__ import annotations

from typing import Any

import av

from tstudio_compiler.domain.colour_management import OutputColour

# FFmpeg's enum values (AVColorRange, AVColorSpace, AVColorPrimaries, AVColorTransferCharacteristic).
_RANGE = {"tv": 1, "pc": 2}
_SPACE = {"bt709": 1, "bt470bg": 5, "smpte170m": 6}
_PRIMARIES = {"bt709": 1, "bt470bg": 5, "smpte170m": 6}
_TRANSFER = {"bt709": 1, "smpte170m": 6}
# The scale filter's matrix names -> swscale's (PyAV's reformat) names.
SWS_MATRIX = {
    "bt709": "ITU709",
    "bt601": "ITU601",
    "bt2020": "BT2020",
    "smpte240m": "SMPTE240M",
    "fcc": "FCC",
}


def tag_encoder(stream: Any, colour: OutputColour) -> None:
    """Range, matrix, primaries and transfer into the stream (VUI / container colour atoms)."""
    context = stream.codec_context
    context.color_range = _RANGE[colour.range]
    context.colorspace = _SPACE.get(colour.colorspace, 2)
    context.color_primaries = _PRIMARIES.get(colour.primaries, 2)
    context.color_trc = _TRANSFER.get(colour.transfer, 2)


def reformat(frame: av.VideoFrame, colour: OutputColour, pix_fmt: str) -> av.VideoFrame:
    """A working-colour frame in another pixel format, converting with the output's matrix and range."""
    sws_range = "JPEG" if colour.range == "pc" else "MPEG"
    converted = frame.reformat(  # type: ignore[call-arg]
        format=pix_fmt,
        src_colorspace=SWS_MATRIX[colour.matrix],
        dst_colorspace=SWS_MATRIX[colour.matrix],
        src_color_range=sws_range,
        dst_color_range=sws_range,
    )
    return converted


def to_rgb(frame: av.VideoFrame, colour: OutputColour, width: int, height: int) -> av.VideoFrame:
    """A working-colour frame as RGB for a still image (preview), decoded with the output's matrix."""
    return frame.reformat(  # type: ignore[call-arg]
        width=width,
        height=height,
        format="rgb24",
        src_colorspace=SWS_MATRIX[colour.matrix],
        src_color_range="JPEG" if colour.range == "pc" else "MPEG",
        interpolation="BILINEAR",
    )
