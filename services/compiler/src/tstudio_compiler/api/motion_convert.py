"""Proto <-> domain for the motion fields (keyframes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tstudio.compiler.v1 import captions_pb2, motion_pb2, project_pb2, templates_pb2

from tstudio_compiler.adapters.template_library import Template
from tstudio_compiler.domain.captions import CaptionsSource, CaptionStyle
from tstudio_compiler.domain.keyframes import Animation, Keyframe
from tstudio_compiler.domain.text_motion import TextAnimation


def animations(items: Iterable[motion_pb2.Animation]) -> tuple[Animation, ...]:
    return tuple(
        Animation(a.property, tuple(Keyframe(k.time, k.value, k.easing) for k in a.keyframes)) for a in items
    )


def rich_text(t: project_pb2.TextSource) -> dict[str, Any]:
    return {
        "shadow_color": t.shadow_color,
        "shadow_x": t.shadow_x,
        "shadow_y": t.shadow_y,
        "shadow_blur": t.shadow_blur,
        "letter_spacing": t.letter_spacing,
        "line_height": t.line_height,
        "max_width": t.max_width,
        "padding": t.padding,
        "corner_radius": t.corner_radius,
        "animate_in": _text_animation(t.animate_in) if t.HasField("animate_in") else None,
        "animate_out": _text_animation(t.animate_out) if t.HasField("animate_out") else None,
    }


def _text_animation(a: motion_pb2.TextAnimation) -> TextAnimation:
    duration = a.duration if a.HasField("duration") else 0.5
    return TextAnimation(a.type, duration, a.by, a.direction)


def captions(c: captions_pb2.CaptionsSource) -> CaptionsSource:
    s = c.style

    def opt(name: str, default: float) -> float:
        return float(getattr(s, name)) if s.HasField(name) else default  # type: ignore[arg-type]

    style = CaptionStyle(
        font=s.font,
        font_size=s.font_size,
        color=s.color,
        outline_color=s.outline_color,
        outline_width=opt("outline_width", -1.0),
        shadow_color=s.shadow_color,
        shadow_x=s.shadow_x,
        shadow_y=s.shadow_y,
        shadow_blur=s.shadow_blur,
        background_color=s.background_color,
        padding=s.padding,
        corner_radius=s.corner_radius,
        position=s.position,
        x=opt("x", 0.5),
        y=opt("y", 0.9),
        margin_v=opt("margin_v", -1.0),
        margin_h=opt("margin_h", -1.0),
        max_lines=s.max_lines,
        max_width=s.max_width,
        align=s.align,
        line_height=s.line_height,
        highlight_color=s.highlight_color,
    )
    return CaptionsSource(c.path, style)


def template_to_proto(t: Template) -> templates_pb2.TemplateInfo:
    return templates_pb2.TemplateInfo(
        id=t.id,
        name=t.name,
        description=t.description,
        fields=[
            templates_pb2.TemplateField(name=f.name, description=f.description, default_value=f.default)
            for f in t.fields
        ],
        duration=t.duration,
        origin=t.origin,
    )
