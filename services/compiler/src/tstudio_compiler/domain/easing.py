"""Easing curves: progress 0..1 in, eased progress out, in Python and as FFmpeg expressions.

Each closed-form curve is written once, in FFmpeg's expression syntax over the progress `P`; Python
evaluates the same text (so a rendered frame and RenderFrame can never disagree with the formula), and
the planner substitutes `P` to put it into a filter. `cubic-bezier(...)` has no closed form (its time
axis must be inverted numerically), so it has no expression: the caller samples it per frame.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

# Penner's curves (easings.net), in FFmpeg syntax; `P` is the progress.
_C1 = 1.70158
_C2 = _C1 * 1.525
_C3 = _C1 + 1
_BOUNCE_OUT = (
    "if(lt(X,1/2.75),7.5625*X*X,if(lt(X,2/2.75),7.5625*pow(X-1.5/2.75,2)+0.75,"
    "if(lt(X,2.5/2.75),7.5625*pow(X-2.25/2.75,2)+0.9375,7.5625*pow(X-2.625/2.75,2)+0.984375)))"
)


def _power(n: int) -> dict[str, str]:
    return {
        "In": f"pow(P,{n})",
        "Out": f"1-pow(1-P,{n})",
        "InOut": f"if(lt(P,0.5),{2 ** (n - 1)}*pow(P,{n}),1-pow(2-2*P,{n})/2)",
    }


_FAMILIES: dict[str, dict[str, str]] = {
    "Sine": {"In": "1-cos(P*PI/2)", "Out": "sin(P*PI/2)", "InOut": "(1-cos(PI*P))/2"},
    "Quad": _power(2),
    "Cubic": _power(3),
    "Quart": _power(4),
    "Quint": _power(5),
    "Expo": {
        "In": "if(lte(P,0),0,pow(2,10*P-10))",
        "Out": "if(gte(P,1),1,1-pow(2,-10*P))",
        "InOut": "if(lte(P,0),0,if(gte(P,1),1,if(lt(P,0.5),pow(2,20*P-10)/2,(2-pow(2,10-20*P))/2)))",
    },
    "Circ": {
        "In": "1-sqrt(1-P*P)",
        "Out": "sqrt(1-pow(P-1,2))",
        "InOut": "if(lt(P,0.5),(1-sqrt(1-4*P*P))/2,(sqrt(1-pow(2-2*P,2))+1)/2)",
    },
    "Back": {
        "In": f"{_C3}*pow(P,3)-{_C1}*P*P",
        "Out": f"1+{_C3}*pow(P-1,3)+{_C1}*pow(P-1,2)",
        "InOut": f"if(lt(P,0.5),4*P*P*(({_C2}+1)*2*P-{_C2})/2,(pow(2*P-2,2)*(({_C2}+1)*(2*P-2)+{_C2})+2)/2)",
    },
    "Elastic": {
        "In": "if(lte(P,0),0,if(gte(P,1),1,-pow(2,10*P-10)*sin((10*P-10.75)*2*PI/3)))",
        "Out": "if(lte(P,0),0,if(gte(P,1),1,pow(2,-10*P)*sin((10*P-0.75)*2*PI/3)+1))",
        "InOut": "if(lte(P,0),0,if(gte(P,1),1,if(lt(P,0.5),-pow(2,20*P-10)*sin((20*P-11.125)*2*PI/4.5)/2,"
        "pow(2,10-20*P)*sin((20*P-11.125)*2*PI/4.5)/2+1)))",
    },
    "Bounce": {
        "In": "1-" + _BOUNCE_OUT.replace("X", "(1-P)"),
        "Out": _BOUNCE_OUT.replace("X", "P"),
        "InOut": "if(lt(P,0.5),(1-"
        + _BOUNCE_OUT.replace("X", "(1-2*P)")
        + ")/2,(1+"
        + _BOUNCE_OUT.replace("X", "(2*P-1)")
        + ")/2)",
    },
}

PENNER: dict[str, str] = {
    f"ease{mode}{family}": expr for family, modes in _FAMILIES.items() for mode, expr in modes.items()
}
NAMES = ("linear", "hold", "cubic-bezier(x1,y1,x2,y2)", "steps(n)", *PENNER)

_BEZIER = re.compile(r"^cubic-bezier\(([^,()]+),([^,()]+),([^,()]+),([^,()]+)\)$")
_STEPS = re.compile(r"^steps\((\d+)\)$")


class EasingError(ValueError):
    pass


@dataclass(frozen=True)
class Easing:
    """A parsed easing. `expression` is the FFmpeg form over `P`, empty when there is none."""

    name: str
    expression: str
    function: Callable[[float], float]

    def __call__(self, progress: float) -> float:
        return self.function(min(1.0, max(0.0, progress)))

    def ffmpeg(self, progress: str) -> str:
        """The curve as an FFmpeg expression of the expression `progress`; "" when it has none."""
        return re.sub(r"\bP\b", f"({progress})", self.expression) if self.expression else ""


@functools.lru_cache(maxsize=256)
def parse(text: str) -> Easing:
    """An easing by its CSS/Penner name; raises EasingError saying what is accepted (cached)."""
    name = (text or "linear").strip()
    compact = name.replace(" ", "")
    if name == "linear":
        return Easing("linear", "P", lambda p: p)
    if name == "hold":
        # The value jumps at the keyframe: the segment keeps its start value until then.
        return Easing("hold", "0", lambda p: 0.0)
    if name in PENNER:
        return Easing(name, PENNER[name], _compile(PENNER[name]))
    steps = _STEPS.match(compact)
    if steps:
        n = int(steps.group(1))
        if not 1 <= n <= 1000:
            raise EasingError("steps(n) needs n within 1..1000")
        # CSS `steps(n)` (jump-end): n equal steps, the last value reached at progress 1.
        expr = f"if(gte(P,1),1,floor(P*{n})/{n})"
        return Easing(f"steps({n})", expr, _compile(expr))
    bezier = _BEZIER.match(compact)
    if bezier:
        try:
            x1, y1, x2, y2 = (float(g) for g in bezier.groups())
        except ValueError:
            raise EasingError("cubic-bezier takes four numbers") from None
        if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
            raise EasingError("cubic-bezier takes four finite numbers")
        if not (0 <= x1 <= 1 and 0 <= x2 <= 1):
            raise EasingError("cubic-bezier x1 and x2 must be within 0..1 (CSS rule)")
        return Easing(f"cubic-bezier({x1:g},{y1:g},{x2:g},{y2:g})", "", _bezier(x1, y1, x2, y2))
    raise EasingError(
        "unknown easing; use linear, hold, steps(n), cubic-bezier(x1,y1,x2,y2) or "
        "easeIn|easeOut|easeInOut + Sine|Quad|Cubic|Quart|Quint|Expo|Circ|Back|Elastic|Bounce"
    )


_PY_NAMES = {
    "if": "_if",
    "lt": "_lt",
    "lte": "_lte",
    "gte": "_gte",
}


def _compile(expr: str) -> Callable[[float], float]:
    """Python function of `P` for one of the constant expressions above (never user text)."""
    source = re.sub(r"\b(if|lt|lte|gte)\(", lambda m: _PY_NAMES[m.group(1)] + "(", expr)
    namespace = {
        "_if": lambda c, a, b: a if c else b,
        "_lt": lambda a, b: a < b,
        "_lte": lambda a, b: a <= b,
        "_gte": lambda a, b: a >= b,
        "pow": math.pow,
        "sin": math.sin,
        "cos": math.cos,
        "sqrt": lambda v: math.sqrt(max(0.0, v)),
        "floor": math.floor,
        "PI": math.pi,
        "float": float,
    }
    code = compile(f"lambda P: float({source})", "<easing>", "eval")
    return eval(code, {"__builtins__": {}, **namespace})  # type: ignore[no-any-return]


def _bezier(x1: float, y1: float, x2: float, y2: float) -> Callable[[float], float]:
    """CSS cubic-bezier timing: find the curve parameter whose x is the progress, return its y."""

    def coord(s: float, a: float, b: float) -> float:
        return 3 * a * s * (1 - s) ** 2 + 3 * b * s * s * (1 - s) + s**3

    def ease(p: float) -> float:
        lo, hi = 0.0, 1.0
        # x(s) is monotonic for x1, x2 in 0..1: bisection converges to 1e-9 in ~30 steps.
        for _ in range(40):
            mid = (lo + hi) / 2
            if coord(mid, x1, x2) < p:
                lo = mid
            else:
                hi = mid
        return coord((lo + hi) / 2, y1, y2)

    return ease
