"""Proto -> domain for issue 19's fields (fit, freeze, reverse, blend, mask, markers, platform
presets, GIF options), kept apart from convert.py so its hunks there stay one line each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from tstudio.compiler.v1 import compositing_pb2, project_pb2

from tstudio_compiler.domain import model
from tstudio_compiler.domain.compositing import GifOptions, Marker, Mask, ShapeMask
from tstudio_compiler.domain.platform_presets import PLATFORM_PRESETS

# Picture-only containers and the codec each implies when none is named.
ANIMATIONS = {"gif": "gif", "apng": "apng", "webp": "webp", "png": "png"}


def is_animation(container: str) -> bool:
    return container in ANIMATIONS


def default_video_codec(container: str) -> str:
    return ANIMATIONS.get(container, "h264")


def clip_extras(c: project_pb2.Clip) -> dict[str, Any]:
    return {
        "fit": c.fit,
        "freeze_at": c.freeze_at if c.HasField("freeze_at") else None,
        "reverse": c.reverse,
        "blend_mode": c.blend_mode,
        "mask": _mask(c.mask) if c.HasField("mask") else None,
        "fit_anchor": c.fit_anchor,
    }


def _mask(m: compositing_pb2.Mask) -> Mask:
    shape = None
    if m.HasField("shape"):
        s = m.shape
        shape = ShapeMask(
            type=s.type or "rectangle",
            x=s.x if s.HasField("x") else 0.5,
            y=s.y if s.HasField("y") else 0.5,
            width=s.width,
            height=s.height,
            radius=s.radius,
            feather=s.feather,
        )
    return Mask(path=m.path, mode=m.mode or "luma", invert=m.invert, feather=m.feather, shape=shape)


def markers_from_proto(markers: Iterable[compositing_pb2.Marker]) -> tuple[Marker, ...]:
    return tuple(Marker(m.time, m.title) for m in markers)


def markers_to_proto(markers: Iterable[Marker]) -> list[compositing_pb2.Marker]:
    return [compositing_pb2.Marker(time=m.time, title=m.title) for m in markers]


def with_output_extras(
    o: project_pb2.OutputSettings, output: model.OutputSettings, settings: model.ProjectSettings
) -> model.OutputSettings:
    """The GIF options, and the platform preset's values for every field `o` leaves unset."""
    g = o.gif
    output = replace(
        output,
        platform_preset=o.platform_preset,
        gif=GifOptions(dither=g.dither or "sierra2_4a", loop=g.loop, fps=g.fps, width=g.width),
    )
    if is_animation(output.container):
        # Picture-only containers imply their codec and no sound when none is named.
        output = replace(
            output,
            video_codec=o.video_codec or default_video_codec(output.container),
            audio_codec=o.audio_codec or "none",
        )
    if output.container == "gif" and g.fps > 0:
        output = replace(output, fps=g.fps)
    if output.container == "gif" and g.width >= 16:
        # The GIF's width; its height keeps the timeline's aspect.
        height = max(2, round(g.width * settings.height / settings.width / 2) * 2)
        output = replace(output, width=g.width - g.width % 2, height=height)
    preset = PLATFORM_PRESETS.get(o.platform_preset)
    if preset is None:
        return output  # unknown names are refused by validation (output.platform_preset)
    sized = not o.width and not o.height
    quality_asked = o.quality or o.HasField("crf")
    return replace(
        output,
        width=preset.width if sized else output.width,
        height=preset.height if sized else output.height,
        fps=o.fps or preset.fps,
        container=o.container or (output.container if o.path and "." in o.path else preset.container),
        video_codec=o.video_codec or preset.video_codec,
        audio_codec=o.audio_codec or preset.audio_codec,
        video_bitrate=o.video_bitrate or (0 if quality_asked else preset.video_bitrate),
        audio_bitrate=o.audio_bitrate or preset.audio_bitrate,
    )
