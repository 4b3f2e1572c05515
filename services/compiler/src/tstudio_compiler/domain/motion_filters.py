"""The filters that play a clip's keyframed properties, evaluated by FFmpeg frame by frame.

Every curve is an FFmpeg expression of the frame's time (domain/keyframes.py), so the PyAV executor,
RenderFrame and the printed ffmpeg command evaluate the same formula. Where an option takes no
expression (colorchannelmixer's alpha), a `sendcmd` right before it sets it per frame.

Order in a clip's chain: the picture is scaled once to its largest animated size, rotated (the box
is the diagonal, so every angle fits), faded, and only then scaled per frame: FFmpeg's rotate
keeps the size it was configured with, overlay follows each frame's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tstudio_compiler.domain import keyframes
from tstudio_compiler.domain.filtergraph import Filter, number, options
from tstudio_compiler.domain.keyframes import Animation

# A frame's time in its chain: the clip's own clock before the chain's setpts. The epsilon keeps a
# frame exactly on a keyframe on the keyframe's side (pts * time_base may round just below it).
EPSILON = 0.000001
CHAIN_CLOCK = f"(t+{number(EPSILON)})"
SENDCMD_CLOCK = f"(T+{number(EPSILON)})"


@dataclass(frozen=True)
class ClipMotion:
    x: Animation | None = None
    y: Animation | None = None
    scale: Animation | None = None
    rotation: Animation | None = None
    opacity: Animation | None = None

    @classmethod
    def of(cls, animations: tuple[Animation, ...]) -> ClipMotion:
        def get(prop: str) -> Animation | None:
            return keyframes.find(animations, prop)

        return cls(
            get("transform.x"),
            get("transform.y"),
            get("transform.scale"),
            get("transform.rotation"),
            get("opacity"),
        )

    @property
    def moves(self) -> bool:
        return any(a is not None for a in (self.x, self.y, self.scale, self.rotation))

    @property
    def needs_alpha(self) -> bool:
        return self.opacity is not None or self.rotation is not None


def largest_scale(anim: Animation, length: float, fps: float) -> float:
    return max(keyframes.extremes(anim, length, fps)[1], 0.001)


def rescale(anim: Animation, largest: float, fps: float) -> Filter:
    """Per-frame scale of a picture already scaled to `largest` (relative to the frame width)."""
    factor = f"({keyframes.expression(anim, CHAIN_CLOCK, fps)})/{number(largest)}"
    return Filter("scale", options(w=f"max(2,2*round(iw*{factor}/2))", h=-2, eval="frame"))


def rotate(anim: Animation, fps: float, length: float) -> Filter:
    """The box fits the picture at every angle the curve reaches (w·|cos| + h·|sin| at most)."""
    angle = f"({keyframes.expression(anim, CHAIN_CLOCK, fps)})*PI/180"
    frames = max(1, min(round(length * fps), math.ceil(anim.keyframes[-1].time * fps) + 1))
    radians = [math.radians(keyframes.value_at(anim, k / fps)) for k in range(frames + 1)]
    c = min(1.0, max(abs(math.cos(a)) for a in radians) + 0.001)
    s = min(1.0, max(abs(math.sin(a)) for a in radians) + 0.001)
    box = options(
        ow=f"ceil((iw*{number(c)}+ih*{number(s)})/4)*4", oh=f"ceil((iw*{number(s)}+ih*{number(c)})/4)*4"
    )
    return Filter("rotate", f"{options(a=angle)}:{box}:c=none")


def opacity(anim: Animation, fps: float, instance: str) -> tuple[Filter, Filter]:
    """colorchannelmixer's alpha set per frame by a sendcmd expression (the option takes none);
    once the curve rests at 1 the mixer is switched off (timeline `enable`), saving a pass per frame."""
    args = options(aa=anim.keyframes[0].value)
    if anim.keyframes[-1].value >= 1:
        args += f":enable=lt(t\\,{number(anim.keyframes[-1].time + 0.5 / fps)})"
    target = Filter("colorchannelmixer", args, instance)
    expr = keyframes.expression(anim, SENDCMD_CLOCK, fps)
    # sendcmd reads its argument as a token: quoted, the expression's commas stay in it.
    command = f"0-2147483647 [expr] {target.ref} aa \\'{expr}\\'"
    return Filter("sendcmd", options(c=command)), target


def coordinate(
    size: str, own: str, static: float | None, anim: Animation | None, clock: str, fps: float
) -> str:
    """Overlay x or y: the clip's centre at `static`/`anim` (0..1 of the frame `size`)."""
    if anim is None:
        return f"{size}*{number(0.5 if static is None else static)}-{own}/2"
    return f"{size}*({keyframes.expression(anim, clock, fps)})-{own}/2"


def volume(anim: Animation, gain: float, fps: float) -> Filter:
    expr = keyframes.expression(anim, CHAIN_CLOCK, fps)
    return Filter("volume", options(volume=f"({expr})*{number(gain)}", eval="frame"))
