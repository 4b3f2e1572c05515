"""Filter-graph pieces for issue 19's compositing: fit modes, blend modes and masks.

Blend modes use the W3C Compositing formulas (Cb = the layers below, Cs = the clip), computed per
RGB channel by `lut2` as a 256x256 table (as fast as a plain lookup); the clip's alpha (its shape,
opacity, fades and mask) then mixes the result over the layers below. FFmpeg's own `blend` modes are
not used: its soft-light and burn differ from the W3C/Photoshop definitions users expect.
"""

from __future__ import annotations

from typing import Any, Protocol

from tstudio_compiler.domain.compositing import ANCHORS, Mask
from tstudio_compiler.domain.filtergraph import Chain, Filter, number, options
from tstudio_compiler.domain.plan import InputSpec

# Colour values: x = the layers below (Cb), y = the clip (Cs), 0..255.
_W3C: dict[str, str] = {
    "multiply": "x*y/255",
    "screen": "x+y-x*y/255",
    "overlay": "if(lte(x,127.5),2*x*y/255,255-2*(255-x)*(255-y)/255)",
    "hard-light": "if(lte(y,127.5),2*x*y/255,255-2*(255-x)*(255-y)/255)",
    "soft-light": (
        "if(lte(y,127.5),x-(255-2*y)*x*(255-x)/65025,"
        "x+(2*y-255)*(if(lte(x,63.75),((16*x/255-12)*x/255+4)*x,sqrt(x/255)*255)-x)/255)"
    ),
    "darken": "min(x,y)",
    "lighten": "max(x,y)",
    "color-dodge": "if(eq(x,0),0,if(gte(y,255),255,min(255,255*x/(255-y))))",
    "color-burn": "if(gte(x,255),255,if(eq(y,0),0,255-min(255,255*(255-x)/y)))",
    "difference": "abs(x-y)",
    "exclusion": "x+y-2*x*y/255",
    "add": "min(255,x+y)",
    "subtract": "max(0,x-y)",
}


def blend_expression(mode: str) -> str:
    """The mode's formula in FFmpeg expression syntax over x (below) and y (clip), 0..255."""
    return f"clip(round({_W3C[mode]}),0,255)"


class Builder(Protocol):
    """What these helpers need of the planner's segment graph builder."""

    w: int
    h: int
    fps: float
    # An RGB output's graph: its working space is RGB (see colour_management).
    rgb: bool
    feed_start: int
    frames: int
    inputs: list[InputSpec]
    chains: list[Chain]

    def label(self, prefix: str = "v") -> str: ...

    def clip(self, p: Any, full_frame: bool) -> tuple[str, bool, tuple[str, str] | None]: ...


def fit_filters(fit: str, width: int, height: int, anchor: str = "") -> list[Filter]:
    """Scale a source into a `width` x `height` frame per the clip's fit mode (and crop anchor)."""
    ax, ay = ANCHORS.get(anchor or "center", (0.5, 0.5))
    at = {"x": f"(iw-ow)*{number(ax)}", "y": f"(ih-oh)*{number(ay)}"}
    if fit == "cover":
        return [
            Filter("scale", options(w=width, h=height, force_original_aspect_ratio="increase")),
            Filter("crop", options(w=width, h=height, **at)),
            Filter("setsar", "1"),
        ]
    if fit == "fill":
        return [Filter("scale", options(w=width, h=height)), Filter("setsar", "1")]
    if fit == "none":
        return [Filter("crop", options(w=f"min(iw\\,{width})", h=f"min(ih\\,{height})", **at))]
    return [
        Filter(
            "scale", options(w=width, h=height, force_original_aspect_ratio="decrease", force_divisible_by=2)
        )
    ]


def _add(g: Builder, inputs: tuple[str, ...], filters: tuple[Filter, ...]) -> str:
    out = g.label()
    g.chains.append(Chain(inputs, filters, out))
    return out


def transparent_canvas(g: Builder) -> str:
    label = f"in{len(g.inputs)}"
    g.inputs.append(
        InputSpec(label, "", "color", color="0x00000000", width=g.w, height=g.h, frames=g.frames, fps=g.fps)
    )
    return _add(g, (label,), (Filter("format", "rgba"),))


def full_frame_rgba(g: Builder, label: str, position: tuple[str, str] | None) -> str:
    """The clip laid on a transparent frame of the output size at its position, planar RGB + alpha
    (`position` None: the clip already fills the frame)."""
    if position is None:
        return _add(g, (label,), (Filter("format", "gbrap"),))
    canvas = transparent_canvas(g)
    overlay = Filter("overlay", options(x=position[0], y=position[1], format="rgb"))
    return _add(g, (canvas, label), (overlay, Filter("format", "gbrap")))


def matte(g: Builder, mask: Mask, source: str) -> str:
    """A grey matte of the output size (white reveals) from the mask's picture input `source`."""
    f: list[Filter] = []
    if mask.shape is None:
        f.append(Filter("scale", options(w=g.w, h=g.h)))
        if mask.mode == "alpha":
            f += [Filter("format", "rgba"), Filter("alphaextract")]
    f.append(Filter("format", "gray"))
    if mask.invert:
        f.append(Filter("negate"))
    if mask.feather > 0:
        f.append(Filter("gblur", options(sigma=number(mask.feather / 2))))
    return _add(g, (source,), tuple(f))


def apply_matte(g: Builder, top: str, matte_label: str) -> str:
    """`top` (RGBA) with its alpha multiplied by the matte."""
    keep, alpha_in = g.label(), g.label()
    g.chains.append(Chain((top,), (Filter("split", "2"),), f"{keep}|{alpha_in}"))
    alpha = _add(g, (alpha_in,), (Filter("alphaextract"),))
    masked = _add(g, (alpha, matte_label), (Filter("blend", options(all_mode="multiply")),))
    return _add(g, (keep, masked), (Filter("alphamerge"),))


def mask_source(g: Builder, p: Any) -> str:
    """A placed clip's mask picture (its path, or its shape rasterised) as an input of the graph."""
    mask = p.clip.mask
    assert mask is not None
    label = f"in{len(g.inputs)}"
    shift = g.feed_start - p.start_frame
    g.inputs.append(
        InputSpec(
            label,
            f"{p.clip.id}#mask",
            "shape" if mask.shape is not None else p.mask_kind,
            path=p.mask_path,
            width=g.w,
            height=g.h,
            first_frame=shift,
            frames=g.frames,
            fps=g.fps,
            clip_frames=p.end_frame - p.start_frame,
            shape=mask.shape,
        )
    )
    return _add(g, (label,), (Filter("setpts", f"PTS-{shift}"),)) if shift else label


def luma_transition(g: Builder, j: Any) -> str:
    """A join of type luma: incoming over outgoing through a matte made per frame from the wipe."""
    a = g.clip(j.outgoing, True)[0]
    b = g.clip(j.incoming, True)[0]
    label = f"in{len(g.inputs)}"
    first = g.feed_start - j.start_frame
    g.inputs.append(
        InputSpec(
            label,
            f"{j.incoming.clip.id}#luma",
            "luma",
            path=str(j.params["path"]),
            width=g.w,
            height=g.h,
            first_frame=first,
            frames=g.frames,
            fps=g.fps,
            clip_frames=j.end_frame - j.start_frame,
            softness=float(j.params.get("softness", 0.1)),
        )
    )
    return luma_merge(g, a, b, label, first)


def _planar_rgb(g: Builder, label: str) -> str:
    """A picture as gbrp by way of gbrap: the bundled FFmpeg's swscale writes garbage into the
    right-hand pixels when it turns yuv420p straight into gbrp at widths of 16n+2..16n+8 (1080 among
    them); its yuv420p -> gbrap path is right at every width."""
    return _add(g, (label,), (Filter("format", "gbrap"), Filter("format", "gbrp")))


def luma_merge(g: Builder, outgoing: str, incoming: str, matte_input: str, shift: int) -> str:
    """`incoming` where the per-frame matte is white, `outgoing` where black (maskedmerge in RGB)."""
    a = _planar_rgb(g, outgoing)
    b = _planar_rgb(g, incoming)
    f = [Filter("format", "gbrp")]
    if shift:
        f.append(Filter("setpts", f"PTS-{shift}"))
    m = _add(g, (matte_input,), tuple(f))
    merged = _add(g, (a, b, m), (Filter("maskedmerge"),))
    return merged if g.rgb else _add(g, (merged,), (Filter("format", "yuv420p"),))


def blend_over(g: Builder, base: str, top: str, mode: str, opaque: bool = False) -> str:
    """`top` (RGB + alpha, output size) composited over `base` with the blend mode. `opaque`: top's
    alpha is 255 everywhere, so the formula's result is the picture (no mix with what is below)."""
    if mode in ("", "normal"):
        return _add(g, (base, top), (Filter("overlay", options(x=0, y=0, format="gbrp" if g.rgb else None)),))
    expr = blend_expression(mode)
    if opaque:
        below_rgb = _planar_rgb(g, base)
        top_rgb = _add(g, (top,), (Filter("format", "gbrp"),))
        return _add(g, (below_rgb, top_rgb), (Filter("lut2", options(c0=expr, c1=expr, c2=expr)),))
    keep, below = g.label(), g.label()
    g.chains.append(Chain((base,), (Filter("split", "2"),), f"{keep}|{below}"))
    below_rgb = _add(g, (below,), (Filter("format", "gbrap"),))
    top_rgb = _add(g, (top,), (Filter("format", "gbrap"),))
    mixed = _add(g, (below_rgb, top_rgb), (Filter("lut2", options(c0=expr, c1=expr, c2=expr, c3="y")),))
    # Mixed in RGB, so the formula's result is not rounded through 8-bit 4:2:0 once more.
    return _add(g, (_planar_rgb(g, keep), mixed), (Filter("overlay", options(x=0, y=0, format="gbrp")),))
