"""How a source is turned into the timeline's picture and how the output is tagged: pure functions
that emit the explicit FFmpeg filters (upright, undistorted, colour converted) the planner puts at
the head and tail of every clip's chain, so the PyAV executor and the printed ffmpeg command make
every conversion with the same, named range and matrix.

Working space: every clip leaves its chain as 8-bit YUV (yuv420p, or yuva420p with alpha) in the
output's range and matrix, so compositing and encoding need no further conversion. An RGB output
(GIF, APNG, picture sequences: `rgb`) works in RGB instead (rgb24, or rgba with alpha): RGB sources
are never rounded through YUV, and YUV sources are converted once, by their own matrix and range.
"""

from __future__ import annotations

from dataclasses import dataclass

from svckit.tone_mapping import lut_path

from tstudio_compiler.domain.compositing import ANCHORS
from tstudio_compiler.domain.filtergraph import Filter, number, options
from tstudio_compiler.domain.model import Crop, OutputSettings
from tstudio_compiler.domain.sources import SourceInfo

# FFmpeg colorspace (matrix) names -> the `scale` filter's color_matrix names.
_SCALE_MATRIX = {
    "bt709": "bt709",
    "bt470bg": "bt601",
    "smpte170m": "bt601",
    "bt601": "bt601",
    "fcc": "fcc",
    "smpte240m": "smpte240m",
    "bt2020nc": "bt2020",
    "bt2020c": "bt2020",
    "bt2020": "bt2020",
}
COLOR_MATRICES = ("", "bt709", "bt601")
COLOR_RANGES = ("", "tv", "pc")
DYNAMIC_RANGES = ("", "sdr")


@dataclass(frozen=True)
class OutputColour:
    """The output's colour: `matrix` in the scale filter's names, the rest as FFmpeg tags."""

    matrix: str = "bt709"
    range: str = "tv"
    primaries: str = "bt709"
    transfer: str = "bt709"
    # The FFmpeg colorspace tag (`-colorspace`) for `matrix`.
    colorspace: str = "bt709"


HD = OutputColour()
SD = OutputColour("bt601", "tv", "smpte170m", "smpte170m", "smpte170m")


def is_hd(width: int, height: int) -> bool:
    """HD and above by the usual player rule: taller than 576 lines or wider than 1024 pixels."""
    return height > 576 or width > 1024


def output_colour(output: OutputSettings, width: int, height: int) -> OutputColour:
    """BT.709 for HD and above, BT.601 (SMPTE 170M) for SD, unless the output names a matrix."""
    matrix = output.color_matrix or ("bt709" if is_hd(width, height) else "bt601")
    base = HD if matrix == "bt709" else SD
    return OutputColour(
        base.matrix, output.color_range or "tv", base.primaries, base.transfer, base.colorspace
    )


def source_matrix(info: SourceInfo | None) -> str:
    """The scale filter's name for the source's matrix; untagged sources follow the size rule."""
    if info is not None and info.color_matrix in _SCALE_MATRIX:
        return _SCALE_MATRIX[info.color_matrix]
    if info is not None and info.width and not is_hd(info.width, info.height):
        return "bt601"
    return "bt709"


def source_range(info: SourceInfo | None) -> str:
    return "pc" if info is not None and info.color_range == "pc" else "tv"


def needs_conversion(info: SourceInfo | None, out: OutputColour) -> bool:
    """Whether a YUV source differs in range or matrix from the output's."""
    if info is None or info.is_rgb:
        return True
    return source_matrix(info) != out.matrix or source_range(info) != out.range or bool(info.hdr)


def upright_filters(info: SourceInfo | None) -> tuple[Filter, ...]:
    """Deinterlace by field order, then turn the picture upright (rotation is the clockwise turn
    that makes it so, from the display matrix or EXIF)."""
    if info is None:
        return ()
    out: list[Filter] = []
    if info.field_order in ("tt", "bb", "tb", "bt"):
        parity = "tff" if info.field_order in ("tt", "tb") else "bff"
        out.append(Filter("bwdif", options(mode="send_frame", parity=parity, deint="all")))
    rotation = info.rotation % 360
    if rotation == 90:
        out.append(Filter("transpose", "clock"))
    elif rotation == 270:
        out.append(Filter("transpose", "cclock"))
    elif rotation == 180:
        out.extend((Filter("hflip"), Filter("vflip")))
    if info.mirrored:
        out.append(Filter("hflip"))
    return tuple(out)


def display_size(info: SourceInfo | None, crop_w: float = 1.0, crop_h: float = 1.0) -> tuple[float, float]:
    """The picture's size as it must be shown (square pixels, upright), after a crop by fractions of
    the upright picture; (0, 0) when unknown."""
    if info is None or not info.width or not info.height:
        return 0.0, 0.0
    sar = info.sample_aspect if info.sample_aspect > 0 else 1.0
    w, h = info.width * sar, float(info.height)
    if info.rotation % 180 == 90:
        w, h = h, w
    return w * crop_w, h * crop_h


def fit(width: float, height: float, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest even size of `width:height` inside `box_w x box_h` (rounded down to even, as
    the scale filter's force_original_aspect_ratio=decrease:force_divisible_by=2 does)."""
    scale = min(box_w / width, box_h / height)
    return _even(width * scale + 1e-6, box_w), _even(height * scale + 1e-6, box_h)


def _even(value: float, limit: int) -> int:
    return min(limit - limit % 2, max(2, int(value) // 2 * 2))


def convert(
    info: SourceInfo | None,
    out: OutputColour,
    width: int | str | None = None,
    height: int | str | None = None,
    pix_fmt: str = "yuv420p",
    fit_box: bool = False,
) -> tuple[Filter, ...]:
    """One `scale` (size and colour at once, range and matrices named) and the pixel format;
    `fit_box` keeps the stored aspect inside width x height (for sources of unknown shape)."""
    scale = options(
        w=width,
        h=height,
        force_original_aspect_ratio="decrease" if fit_box else None,
        force_divisible_by=2 if fit_box else None,
        in_range=source_range(info),
        out_range=out.range,
        in_color_matrix=source_matrix(info),
        out_color_matrix=out.matrix,
    )
    return Filter("scale", scale), Filter("format", pix_fmt)


def to_working(out: OutputColour, alpha: bool, rgb: bool = False) -> tuple[Filter, ...]:
    """An RGB(A) or already-converted picture into the working space (explicit matrix and range;
    `rgb`: the RGB working space of an RGB output, no matrix involved)."""
    if rgb:
        return (Filter("format", "rgba" if alpha else "rgb24"),)
    scale = options(out_range=out.range, out_color_matrix=out.matrix)
    return Filter("scale", scale), Filter("format", "yuva420p" if alpha else "yuv420p")


def encoder_tags(out: OutputColour) -> dict[str, str]:
    """The ffmpeg CLI's output options that tag the stream as encoded."""
    return {
        "color_range": out.range,
        "colorspace": out.colorspace,
        "color_primaries": out.primaries,
        "color_trc": out.transfer,
    }


def check_output_colour(output: OutputSettings) -> list[tuple[str, str]]:
    """(field path, why) for colour settings the compiler cannot honour."""
    v = []
    if output.color_matrix not in COLOR_MATRICES:
        v.append(("output.color_matrix", "must be bt709, bt601 or empty (by size)"))
    if output.color_range not in COLOR_RANGES:
        v.append(("output.color_range", "must be tv, pc or empty (tv)"))
    if output.dynamic_range not in DYNAMIC_RANGES:
        why = "HDR output is not supported yet; use sdr or empty (HDR sources are tone-mapped)"
        v.append(("output.dynamic_range", why))
    return v


def source_filters(
    kind: str,
    info: SourceInfo | None,
    crop: Crop,
    flip_h: bool,
    flip_v: bool,
    box_w: int,
    box_h: int,
    scale_w: float | None,
    alpha: bool,
    out: OutputColour,
    fit_mode: str = "",
    rgb: bool = False,
    fit_anchor: str = "",
) -> tuple[Filter, ...]:
    """A clip's picture upright, cropped, flipped and fitted (`box_w x box_h` by `fit_mode` and
    `fit_anchor`, or `scale_w` wide) by its shown shape, in the working colour (RGBA when `alpha`, for
    the alpha filters after it; rgb24 when `rgb`, see to_working). Empty when a source is already
    exactly that (the cheap path for same-size footage)."""
    media = kind in ("video", "image")
    f: list[Filter] = list(upright_filters(info)) if media else []
    if not crop.is_empty:
        f.append(
            Filter(
                "crop",
                options(
                    w=f"iw*{number(1 - crop.left - crop.right)}",
                    h=f"ih*{number(1 - crop.top - crop.bottom)}",
                    x=f"iw*{number(crop.left)}",
                    y=f"ih*{number(crop.top)}",
                ),
            )
        )
    if flip_h:
        f.append(Filter("hflip"))
    if flip_v:
        f.append(Filter("vflip"))
    pix_fmt = "rgba" if alpha else "rgb24" if rgb else "yuv420p"
    if not media:
        if scale_w is not None:
            f.append(Filter("scale", options(w=_even(scale_w, 1 << 16), h=-2)))
        return tuple(f)
    sized = _sized(info, crop, box_w, box_h, scale_w, fit_mode, fit_anchor)
    if sized is None:
        if scale_w is not None:
            return (*f, *convert(info, out, _even(scale_w, 1 << 16), -2, pix_fmt), Filter("setsar", "1"))
        return (*f, *convert(info, out, box_w, box_h, pix_fmt, fit_box=True), Filter("setsar", "1"))
    size, tail = sized
    assert info is not None
    same = (
        not tail
        and not f
        and size == (info.width, info.height)
        and abs(info.sample_aspect - 1.0) < 1e-6
        and not needs_conversion(info, out)
        and not alpha
        and not rgb
        and kind == "video"
    )
    if same:
        return ()
    if info.hdr in ("pq", "hlg"):
        return (*f, *tone_mapped(info, out, size[0], size[1], alpha, rgb), Filter("setsar", "1"), *tail)
    turns = [x for x in f if x.name == "transpose"]
    if turns and crop.is_empty:
        # Scale first, then turn the smaller picture: the same pixels for less transpose work.
        rest = [x for x in f if x.name != "transpose"]
        head = [x for x in rest if x.name == "bwdif"]
        flips = [x for x in rest if x.name != "bwdif"]
        scaled = convert(info, out, size[1], size[0], pix_fmt)
        return (*head, *scaled, *turns, *flips, Filter("setsar", "1"), *tail)
    return (*f, *convert(info, out, size[0], size[1], pix_fmt), Filter("setsar", "1"), *tail)


def _sized(
    info: SourceInfo | None,
    crop: Crop,
    box_w: int,
    box_h: int,
    scale_w: float | None,
    fit_mode: str,
    fit_anchor: str = "",
) -> tuple[tuple[int, int], tuple[Filter, ...]] | None:
    """The size a media picture is scaled to and the filters after that scale (a fit's crop); None
    when the source's shape is unknown."""
    shown_w, shown_h = display_size(info, 1 - crop.left - crop.right, 1 - crop.top - crop.bottom)
    if not shown_w:
        return None
    if scale_w is not None:
        w = _even(scale_w, 1 << 16)
        # (+1e-6: a crop of 1/6 computed two ways must not round 180 px down to 178)
        return (w, _even(w * shown_h / shown_w + 1e-6, 1 << 16)), ()
    return fit_by_mode(fit_mode, shown_w, shown_h, box_w, box_h, fit_anchor)


def picture_size(
    info: SourceInfo | None, crop: Crop, box_w: int, box_h: int, scale_w: float | None, fit_mode: str = ""
) -> tuple[int, int] | None:
    """The size of a media clip's picture as `source_filters` leave it (None when unknown): the
    frame's size only when the fit fills it, whatever the source's own size."""
    sized = _sized(info, crop, box_w, box_h, scale_w, fit_mode)
    if sized is None:
        return None
    size, tail = sized
    for f in tail:  # fit_by_mode's crops are to whole numbers
        if f.name == "crop":
            size = (min(size[0], box_w), min(size[1], box_h))
    return size


def fit_by_mode(
    mode: str, width: float, height: float, box_w: int, box_h: int, anchor: str = ""
) -> tuple[tuple[int, int], tuple[Filter, ...]]:
    """The size a `width:height` picture is scaled to in a `box_w x box_h` frame, and the filters
    after the scale: "contain" (default) fits it whole; "cover" fills the box and crops the overflow;
    "fill" stretches it to the box; "none" keeps its size, cropped to the box. What a crop keeps
    sits at `anchor` ("center" by default, "left", "top-right", ...)."""
    ax, ay = ANCHORS.get(anchor or "center", (0.5, 0.5))
    # Centred is the crop filter's own default (and keeps the filter as it was).
    at = {} if (ax, ay) == (0.5, 0.5) else {"x": f"(iw-ow)*{number(ax)}", "y": f"(ih-oh)*{number(ay)}"}
    if mode == "cover":
        scale = max(box_w / width, box_h / height)
        size = (
            max(box_w, _even(width * scale + 1.999, 1 << 16)),
            max(box_h, _even(height * scale + 1.999, 1 << 16)),
        )
        return size, (Filter("crop", options(w=box_w, h=box_h, **at)),)
    if mode == "fill":
        return (box_w - box_w % 2, box_h - box_h % 2), ()
    if mode == "none":
        size = (_even(width, 1 << 16), _even(height, 1 << 16))
        if size[0] <= box_w and size[1] <= box_h:
            return size, ()
        return size, (Filter("crop", options(w=min(size[0], box_w), h=min(size[1], box_h), **at)),)
    return fit(width, height, box_w, box_h), ()


def tone_mapped(
    info: SourceInfo, out: OutputColour, width: int, height: int, alpha: bool, rgb: bool = False
) -> tuple[Filter, ...]:
    """An HDR source sized, as 16-bit R'G'B' (its matrix and range by name), through the tone-mapping
    LUT (see tone_mapping), into the working colour (or RGBA for the alpha filters after it)."""
    to_rgb = options(w=width, h=height, in_range=source_range(info), in_color_matrix=source_matrix(info))
    lut = Filter("lut3d", options(file=lut_path(info.hdr), interp="tetrahedral"))
    tail = (Filter("format", "rgba"),) if alpha else to_working(out, False, rgb)
    return (Filter("scale", to_rgb), Filter("format", "rgb48le"), lut, *tail)
