"""Keyframed speed (a speed ramp): the source time is the integral of the speed curve.

`offset(ramp, t)` is the source seconds played `t` timeline seconds into the clip. Offsets are
integrated once per clip on a fine grid (Simpson's rule on 1/240 s steps) and interpolated; the
picture and the ffmpeg command both use them. Picture only: a ramped clip must be muted, because
FFmpeg's atempo drops its buffer (about 13 ms of sound) at every run-time tempo change, so a
sound that follows the ramp drifts out of sync; see validation (keyframes.check_ramp).
"""

from __future__ import annotations

import bisect
import functools
import math

from tstudio_compiler.domain import keyframes
from tstudio_compiler.domain.filtergraph import number
from tstudio_compiler.domain.keyframes import Animation

FINEST = 1 / 240
# At most this many grid steps: a ramp whose keyframes reach far gets a coarser grid.
MAX_STEPS = 20000


def _step(ramp: Animation) -> float:
    return max(FINEST, max(k.time for k in ramp.keyframes) / MAX_STEPS)


@functools.lru_cache(maxsize=32)
def _grid(ramp: Animation) -> tuple[float, ...]:
    """Offsets at 0, step, 2·step, ... up to the last keyframe (plus one step)."""
    step = _step(ramp)
    end = max(k.time for k in ramp.keyframes) + step
    out = [0.0]
    total = 0.0
    for i in range(math.ceil(end / step)):
        a = i * step
        fa = keyframes.value_at(ramp, a)
        fm = keyframes.value_at(ramp, a + step / 2)
        fb = keyframes.value_at(ramp, a + step)
        total += step / 6 * (fa + 4 * fm + fb)
        out.append(total)
    return tuple(out)


def offset(ramp: Animation, t: float) -> float:
    """Source seconds played in the first `t` timeline seconds of the clip."""
    grid, step = _grid(ramp), _step(ramp)
    if t <= 0:
        return t * keyframes.value_at(ramp, 0.0)
    last = (len(grid) - 1) * step
    if t >= last:
        return grid[-1] + (t - last) * keyframes.value_at(ramp, last)
    i = int(t / step)
    frac = (t - i * step) / step
    return grid[i] + (grid[i + 1] - grid[i]) * frac


def length(ramp: Animation, span: float) -> float:
    """Timeline seconds the ramp takes to play `span` source seconds."""
    grid, step = _grid(ramp), _step(ramp)
    if span <= grid[-1]:
        i = bisect.bisect_left(grid, span)
        if i == 0:
            return 0.0
        lo, hi = grid[i - 1], grid[i]
        return (i - 1 + (span - lo) / (hi - lo if hi > lo else 1.0)) * step
    last = (len(grid) - 1) * step
    return last + (span - grid[-1]) / keyframes.value_at(ramp, last)


def timeline_of(ramp: Animation, first_frame: int, frames: int, fps: float) -> str:
    """For the ffmpeg command: timeline seconds since `first_frame` as an expression of `S`, the
    source seconds since the source time at `first_frame` (a piecewise-linear lookup on the frames)."""
    base = offset(ramp, first_frame / fps)
    points = [(offset(ramp, (first_frame + k) / fps) - base, k / fps) for k in range(frames + 2)]
    step = max(1, math.ceil(len(points) / 2000))
    points = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
    return _lookup(points)


def _lookup(points: list[tuple[float, float]]) -> str:
    if len(points) == 2:
        (s0, t0), (s1, t1) = points
        slope = (t1 - t0) / (s1 - s0) if s1 > s0 else 0.0
        return f"({number(t0)}+(S-{number(s0)})*{number(slope)})"
    half = len(points) // 2
    left, right = points[: half + 1], points[half:]
    return f"if(lt(S,{number(points[half][0])}),{_lookup(left)},{_lookup(right)})"
