"""Keyframed clip properties: validation, the value at a time, and the same curve as an FFmpeg expression.

`time` is seconds from the clip's start on the timeline. Before the first keyframe the first value
holds, after the last the last; the easing of a keyframe shapes the segment that ends at it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from tstudio_compiler.domain import easing
from tstudio_compiler.domain.filtergraph import number


@dataclass(frozen=True)
class Keyframe:
    time: float
    value: float
    easing: str = ""


@dataclass(frozen=True)
class Animation:
    property: str
    keyframes: tuple[Keyframe, ...] = ()


# Animatable properties and their ranges (the same as the static fields').
RANGES: dict[str, tuple[float, float]] = {
    "opacity": (0.0, 1.0),
    "volume": (0.0, 10.0),
    "transform.x": (-1.0, 2.0),
    "transform.y": (-1.0, 2.0),
    "transform.scale": (0.001, 10.0),
    "transform.rotation": (-36000.0, 36000.0),
    # A speed ramp (domain/speed_ramp.py): source seconds per timeline second.
    "speed": (0.1, 16.0),
}
# Named in the issue but not animatable yet: refused with the reason rather than dropped.
NOT_YET = {
    "crop.left": "animated crop is not supported yet; use a constant crop",
    "crop.top": "animated crop is not supported yet; use a constant crop",
    "crop.right": "animated crop is not supported yet; use a constant crop",
    "crop.bottom": "animated crop is not supported yet; use a constant crop",
}
MAX_KEYFRAMES = 1000


def check(animations: tuple[Animation, ...], path: str, is_audio: bool = False) -> list[tuple[str, str]]:
    """(field path, why) for every problem of a clip's `animations` (path: `...clips[2].animations`)."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for ai, anim in enumerate(animations):
        ap = f"{path}[{ai}]"
        prop = anim.property
        if prop in NOT_YET:
            out.append((f"{ap}.property", NOT_YET[prop]))
            continue
        # effects[i].params.<name>: the parameter and its range are checked by domain/effect_motion.py.
        effect = prop.startswith("effects[")
        if not effect and prop not in RANGES:
            out.append((f"{ap}.property", f"unknown property {prop!r}; animatable: {', '.join(RANGES)}"))
            continue
        if is_audio and prop != "volume":
            out.append((f"{ap}.property", "an audio clip animates volume only"))
        if prop in seen:
            out.append((f"{ap}.property", f"{prop!r} is animated twice"))
        seen.add(prop)
        if not anim.keyframes:
            out.append((f"{ap}.keyframes", "needs at least one keyframe"))
        if len(anim.keyframes) > MAX_KEYFRAMES:
            out.append((f"{ap}.keyframes", f"at most {MAX_KEYFRAMES} keyframes"))
        lo, hi = RANGES.get(prop, (-math.inf, math.inf))
        previous: float | None = None
        for ki, kf in enumerate(anim.keyframes):
            kp = f"{ap}.keyframes[{ki}]"
            if not math.isfinite(kf.time) or kf.time < 0:
                out.append((f"{kp}.time", "must be a finite number of seconds, not negative"))
            elif previous is not None and kf.time <= previous:
                what = "duplicates" if kf.time == previous else "is before"
                out.append((f"{kp}.time", f"{what} the previous keyframe's time ({previous:g} s)"))
            else:
                previous = kf.time
            if not effect and (not math.isfinite(kf.value) or not lo <= kf.value <= hi):
                out.append((f"{kp}.value", f"must be within {lo:g}..{hi:g} for {prop}"))
            try:
                easing.parse(kf.easing)
            except easing.EasingError as exc:
                out.append((f"{kp}.easing", str(exc)))
    return out


def check_ramp(animations: tuple[Animation, ...], path: str, muted: bool) -> list[tuple[str, str]]:
    """A speed ramp plays the picture only: its clip's sound must be muted."""
    for ai, anim in enumerate(animations):
        if anim.property == "speed" and not muted:
            return [
                (
                    f"{path}[{ai}].property",
                    "a speed ramp plays the picture only (its sound cannot follow the ramp in sync "
                    "yet): set muted on the clip or its track, or use a constant speed",
                )
            ]
    return []


def find(animations: tuple[Animation, ...], prop: str) -> Animation | None:
    for anim in animations:
        if anim.property == prop and anim.keyframes:
            return anim
    return None


def value_at(anim: Animation, t: float) -> float:
    """The property's value `t` seconds after the clip's start."""
    kfs = anim.keyframes
    if t < kfs[0].time:
        return kfs[0].value
    for a, b in itertools.pairwise(kfs):
        if t < b.time:
            progress = (t - a.time) / (b.time - a.time)
            return a.value + (b.value - a.value) * easing.parse(b.easing)(progress)
    return kfs[-1].value


def extremes(anim: Animation, length: float, fps: float) -> tuple[float, float]:
    """The smallest and largest value over the clip's frames (curves may overshoot their keyframes)."""
    # The value holds after the last keyframe: no need to look past it.
    frames = max(1, min(round(length * fps), math.ceil(anim.keyframes[-1].time * fps) + 1))
    values = [value_at(anim, k / fps) for k in range(frames)]
    return min(values), max(values)


def expression(anim: Animation, clock: str, fps: float) -> str:
    """The curve as an FFmpeg expression of `clock` (an expression of clip seconds).

    Curves with a closed form are written out; cubic-bezier (no closed form) is a table of its
    values at the frame times, exact at every frame the render evaluates. The keyframe segments are
    picked by a balanced tree of comparisons: FFmpeg's parser nests at most about 100 levels."""
    kfs = anim.keyframes
    # (the time the piece ends, its expression): before the first keyframe, each segment, after.
    pieces = [(kfs[0].time, number(kfs[0].value))]
    pieces += [(b.time, _segment(a, b, clock, fps)) for a, b in itertools.pairwise(kfs)]
    pieces.append((math.inf, number(kfs[-1].value)))
    return _pick(pieces, clock)


def _pick(pieces: list[tuple[float, str]], clock: str) -> str:
    if len(pieces) == 1:
        return pieces[0][1]
    half = len(pieces) // 2
    edge = pieces[half - 1][0]
    return f"if(lt({clock},{number(edge)}),{_pick(pieces[:half], clock)},{_pick(pieces[half:], clock)})"


def closed_form(anim: Animation) -> bool:
    """Whether every segment's easing has an FFmpeg formula (else it is sampled per frame)."""
    return all(easing.parse(k.easing).expression for k in anim.keyframes[1:])


def _segment(a: Keyframe, b: Keyframe, clock: str, fps: float) -> str:
    curve = easing.parse(b.easing)
    delta = b.value - a.value
    progress = f"({clock}-{number(a.time)})/{number(b.time - a.time)}"
    if curve.expression:
        if delta == 0:
            return number(a.value)
        return f"{number(a.value)}+{number(delta)}*({curve.ffmpeg(progress)})"
    # Frames whose time falls inside a..b, each a leaf of a balanced if-tree on the clock.
    first = math.ceil(a.time * fps - 1e-9)
    last = math.ceil(b.time * fps - 1e-9) - 1
    values = [a.value + delta * curve((k / fps - a.time) / (b.time - a.time)) for k in range(first, last + 1)]
    if not values:
        return number(a.value)
    return _tree(values, first, clock, fps)


def _tree(values: list[float], first: int, clock: str, fps: float) -> str:
    if len(values) == 1:
        return number(values[0])
    half = len(values) // 2
    edge = number((first + half - 0.5) / fps)
    left = _tree(values[:half], first, clock, fps)
    right = _tree(values[half:], first + half, clock, fps)
    return f"if(lt({clock},{edge}),{left},{right})"
