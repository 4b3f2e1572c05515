"""Text animations (`animateIn` / `animateOut`): which units move, when, and how (pure math).

The text is cut into units (characters, words or lines, `by`); their starts are staggered over the
first half of the animation and each unit moves for the remaining half. A unit's state at progress
p (0 = hidden, 1 = at rest) is an offset in font sizes, a scale and an opacity; `dissolve` also
reveals a fraction p of its pixels. An out-animation is the in-animation played backwards, ending at
the clip's end. At rest every unit is exactly where the static text puts it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tstudio_compiler.domain import easing

TYPES = (
    "fade",
    "slide",
    "scale",
    "typewriter",
    "wave",
    "bounce",
    "shake",
    "blink",
    "dissolve",
    "ascend",
    "shift",
    "movingLetters",
)
BY = ("char", "word", "line")
DIRECTIONS = ("left", "right", "up", "down")
# The unit each type moves when `by` is not given.
DEFAULT_BY = {
    "typewriter": "char",
    "wave": "char",
    "bounce": "char",
    "dissolve": "char",
    "movingLetters": "char",
    "ascend": "word",
}


@dataclass(frozen=True)
class TextAnimation:
    type: str
    duration: float = 0.5
    by: str = ""
    direction: str = ""

    @property
    def unit(self) -> str:
        return self.by or DEFAULT_BY.get(self.type, "line")


@dataclass(frozen=True)
class UnitState:
    dx: float = 0.0  # font sizes
    dy: float = 0.0
    scale: float = 1.0
    alpha: float = 1.0
    # Fraction of the unit's pixels shown (dissolve).
    reveal: float = 1.0

    @property
    def at_rest(self) -> bool:
        return self == REST


REST = UnitState()
_OUT_CUBIC = easing.parse("easeOutCubic")
_OUT_BOUNCE = easing.parse("easeOutBounce")


def check(anim: TextAnimation | None, path: str) -> list[tuple[str, str]]:
    if anim is None:
        return []
    out = []
    if anim.type not in TYPES:
        out.append((f"{path}.type", f"unknown text animation {anim.type!r}; one of {', '.join(TYPES)}"))
    if not math.isfinite(anim.duration) or not 0 < anim.duration <= 60:
        out.append((f"{path}.duration", "must be within 0..60 seconds (and not 0)"))
    if anim.by and anim.by not in BY:
        out.append((f"{path}.by", "must be char, word or line"))
    if anim.direction and anim.direction not in DIRECTIONS:
        out.append((f"{path}.direction", "must be left, right, up or down"))
    if anim.direction and anim.type != "slide":
        out.append((f"{path}.direction", "only slide takes a direction"))
    return out


def unit_progress(t: float, duration: float, index: int, count: int) -> float:
    """0..1 progress of unit `index` of `count`, `t` seconds into an animation of `duration`."""
    if count <= 1:
        return min(1.0, max(0.0, t / duration))
    window = duration / 2
    start = (duration - window) * index / (count - 1)
    return min(1.0, max(0.0, (t - start) / window))


def state(kind: str, direction: str, p: float, index: int) -> UnitState:
    """A unit's state at progress `p` (1 = at rest)."""
    if p >= 1:
        return REST
    q = _OUT_CUBIC(p)
    if kind == "fade":
        return UnitState(alpha=p)
    if kind == "slide":
        dx, dy = {"left": (-1.5, 0), "right": (1.5, 0), "up": (0, -1.5), "down": (0, 1.5)}[
            direction or "left"
        ]
        # From `direction` towards rest: "left" enters from the left.
        return UnitState(dx=dx * (1 - q), dy=dy * (1 - q), alpha=q)
    if kind == "scale":
        return UnitState(scale=max(q, 0.01), alpha=min(1.0, 2 * p))
    if kind == "typewriter":
        return UnitState(alpha=1.0 if p > 0 else 0.0)
    if kind == "wave":
        return UnitState(dy=-0.5 * math.sin(math.pi * p), alpha=min(1.0, 3 * p))
    if kind == "bounce":
        return UnitState(dy=-1.2 * (1 - _OUT_BOUNCE(p)), alpha=1.0 if p > 0 else 0.0)
    if kind == "shake":
        return UnitState(dx=0.25 * math.sin(p * 8 * math.pi + index) * (1 - p), alpha=1.0 if p > 0 else 0.0)
    if kind == "blink":
        return UnitState(alpha=1.0 if p > 0 and math.floor(p * 6) % 2 == 1 else 0.0)
    if kind == "dissolve":
        return UnitState(reveal=p)
    if kind == "ascend":
        return UnitState(dy=0.8 * (1 - q), alpha=q)
    if kind == "shift":
        return UnitState(dx=0.8 * (1 - q), alpha=q)
    if kind == "movingLetters":
        # Shotstack's: each letter rises into place while it grows and appears.
        return UnitState(dy=0.6 * (1 - q), scale=0.5 + 0.5 * q, alpha=q)
    raise ValueError(f"unknown text animation {kind!r}")


def states(
    animate_in: TextAnimation | None,
    animate_out: TextAnimation | None,
    t: float,
    length: float,
    count_in: int,
    count_out: int,
) -> tuple[list[UnitState] | None, str]:
    """Per-unit states `t` seconds into a clip of `length` seconds, and the unit kind they are for;
    None when every unit is at rest (the static picture)."""
    if animate_in is not None and t < animate_in.duration:
        return [
            state(
                animate_in.type, animate_in.direction, unit_progress(t, animate_in.duration, i, count_in), i
            )
            for i in range(count_in)
        ], animate_in.unit
    if animate_out is not None and t > length - animate_out.duration:
        back = length - t
        # Backwards in time and order: the first unit leaves first.
        return [
            state(
                animate_out.type,
                animate_out.direction,
                unit_progress(back, animate_out.duration, count_out - 1 - i, count_out),
                i,
            )
            for i in range(count_out)
        ], animate_out.unit
    return None, ""
