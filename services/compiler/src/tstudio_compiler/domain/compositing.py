"""The timeline's compositing and output extras (issue 19) as plain dataclasses: masks, chapter
markers, GIF options. Their fields on `Clip`, `Project` and `OutputSettings` live in model.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tstudio_compiler.domain.model import Clip, OutputSettings
    from tstudio_compiler.domain.sources import SourceInfo

FITS = ("contain", "cover", "fill", "none")
# Fit anchors: where the kept part of a cropped picture sits, as (x, y) fractions of the overflow.
ANCHORS = {
    "center": (0.5, 0.5),
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
    "top-left": (0.0, 0.0),
    "top-right": (1.0, 0.0),
    "bottom-left": (0.0, 1.0),
    "bottom-right": (1.0, 1.0),
}
BLEND_MODES = (
    "normal",
    "multiply",
    "screen",
    "overlay",
    "soft-light",
    "hard-light",
    "darken",
    "lighten",
    "color-dodge",
    "color-burn",
    "difference",
    "exclusion",
    "add",
    "subtract",
)
MASK_MODES = ("luma", "alpha")
SHAPES = ("rectangle", "ellipse")
GIF_DITHERS = ("sierra2_4a", "floyd_steinberg", "bayer", "none", "sierra2", "heckbert", "sierra3", "burkes")


# The rate FFmpeg's image2 demuxer reads an image sequence at; `source.fps` rescales it.
SEQUENCE_BASE_FPS = 25.0


def source_length(clip: Clip, info: SourceInfo) -> float:
    """Seconds of source a clip can play: an image sequence's images at the clip's `source.fps`."""
    if info.sequence:
        return info.frame_count / (clip.source.fps or SEQUENCE_BASE_FPS)
    return info.duration


def graph_format(container: str, video_codec: str, alpha: bool) -> str:
    """The pixel format a segment graph hands the encoder: with alpha for an alpha output, RGB for
    a GIF (its palette is made from RGB), else 4:2:0."""
    if video_codec in ("apng", "png"):
        return "rgba" if alpha else "rgb24"
    if alpha and video_codec == "prores":
        return "yuva444p10le"
    if alpha:
        return "yuva420p"
    if container == "gif" or video_codec == "gif":
        return "rgb24"
    return "yuv420p"


def muxer_options(output: OutputSettings) -> dict[str, str]:
    """Loop counts of animated outputs, in each muxer's own terms (gif/webp: 0 forever, -1 once)."""
    loop = output.gif.loop
    if output.container in ("gif", "webp"):
        return {"loop": str(loop)}
    if output.container == "apng":
        return {"plays": "1" if loop == -1 else "0" if loop == 0 else str(loop + 1)}
    return {}


@dataclass(frozen=True)
class ShapeMask:
    """Output-frame fractions: centre x, y and size."""

    type: str = "rectangle"
    x: float = 0.5
    y: float = 0.5
    width: float = 0.0
    height: float = 0.0
    radius: float = 0.0
    feather: float = 0.0


@dataclass(frozen=True)
class Mask:
    """A luma or alpha matte from a picture (`path`) or a `shape`."""

    path: str = ""
    mode: str = "luma"
    invert: bool = False
    feather: float = 0.0
    shape: ShapeMask | None = None


@dataclass(frozen=True)
class Marker:
    time: float
    title: str = ""


@dataclass(frozen=True)
class GifOptions:
    dither: str = "sierra2_4a"
    # FFmpeg's gif muxer semantics: 0 forever, -1 once, N repeats.
    loop: int = 0
    fps: float = 0.0
    width: int = 0
