"""Keyframed effect parameters (`effects[0].params.value`).

An effect's filters are built from concrete values, so a curve cannot go into them as an
expression. Instead the effect is built at each frame's value; where an option of one of its
filters changes from one frame to the next, a `sendcmd` placed before the effect (same chain, so
same frame times) sets that option at that frame. That needs filters that take runtime commands:
RUNTIME lists those checked with this FFmpeg; an effect whose changing option belongs to another
filter (vignette, unsharp, noise) is refused at validation with its field path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from tstudio_compiler.domain import keyframes
from tstudio_compiler.domain.effects import EffectCatalog, EffectKind
from tstudio_compiler.domain.filtergraph import Filter, number, options
from tstudio_compiler.domain.keyframes import Animation
from tstudio_compiler.domain.params import ParamType, resolve

# Filters whose options FFmpeg changes at run time (process_command), checked on FFmpeg 8.1.
RUNTIME = frozenset(
    {
        "hue",
        "gblur",
        "colortemperature",
        "colorbalance",
        "colorchannelmixer",
        "lutyuv",
        "lutrgb",
        "pixelize",
        "rgbashift",
        "atadenoise",
        "colorlevels",
        "exposure",
    }
)
PROPERTY = re.compile(r"^effects\[(\d+)\]\.params\.([A-Za-z_][A-Za-z0-9_]*)$")
# A value sendcmd passes through unharmed (no separators, quotes or escapes).
_PLAIN = re.compile(r"^[A-Za-z0-9_.+\-*/()]+$")


def parse(prop: str) -> tuple[int, str] | None:
    match = PROPERTY.match(prop)
    return (int(match.group(1)), match.group(2)) if match else None


def check(
    animations: tuple[Animation, ...],
    effects: tuple[Any, ...],
    catalog: EffectCatalog,
    path: str,
) -> list[tuple[str, str]]:
    """(field path, why) for the effect-parameter animations among a clip's `animations`."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for ai, anim in enumerate(animations):
        target = parse(anim.property)
        if target is None:
            continue
        ap = f"{path}[{ai}]"
        index, name = target
        if anim.property in seen:
            out.append((f"{ap}.property", f"{anim.property!r} is animated twice"))
        seen.add(anim.property)
        if index >= len(effects):
            out.append((f"{ap}.property", f"the clip has no effects[{index}]"))
            continue
        definition = catalog.get(effects[index].type)
        if definition is None or definition.kind is not EffectKind.VIDEO or definition.build is None:
            out.append((f"{ap}.property", "only built-in video effects have animatable parameters"))
            continue
        param = next((p for p in definition.params if p.name == name), None)
        if param is None or param.type not in (ParamType.NUMBER, ParamType.INTEGER):
            numeric = [p.name for p in definition.params if p.type in (ParamType.NUMBER, ParamType.INTEGER)]
            out.append(
                (f"{ap}.property", f"{definition.type!r} has no numeric parameter {name!r}; it has {numeric}")
            )
            continue
        if not anim.keyframes:
            out.append((f"{ap}.keyframes", "needs at least one keyframe"))
            continue
        for ki, kf in enumerate(anim.keyframes):
            if not math.isfinite(kf.value) or not param.min <= kf.value <= param.max:
                out.append((f"{ap}.keyframes[{ki}].value", f"must be within {param.min:g}..{param.max:g}"))
        if any(p.endswith(".value") and p.startswith(ap) for p, _ in out):
            continue
        base = dict(effects[index].params)
        low = definition.build(resolve(definition.params, {**base, name: param.min}))
        high = definition.build(resolve(definition.params, {**base, name: param.max}))
        for a, b in zip(low, high, strict=False):
            if a.args != b.args and (a.name not in RUNTIME or not _plain(b.args)):
                out.append(
                    (
                        f"{ap}.property",
                        f"{definition.type!r}.{name} cannot be animated: FFmpeg's {a.name} does not take it at run time",
                    )
                )
                break
    return out


def curves(animations: tuple[Animation, ...], index: int) -> dict[str, Animation]:
    """The keyframed parameters of effect `index`, by name."""
    out = {}
    for anim in animations:
        target = parse(anim.property)
        if target is not None and target[0] == index and anim.keyframes:
            out[target[1]] = anim
    return out


def _plain(args: str) -> bool:
    return all(_PLAIN.match(value) for _, value in _options(args))


def _options(args: str) -> list[tuple[str, str]]:
    out = []
    for part in args.split(":") if args else ():
        key, _, value = part.partition("=")
        out.append((key, value))
    return out


def filters(
    build: Callable[[Mapping[str, Any]], tuple[Filter, ...]],
    params: Mapping[str, Any],
    curves: Mapping[str, Animation],
    fps: float,
    frames: int,
    instance: str,
) -> tuple[Filter, ...]:
    """The effect's filters at its first frame, named, after a sendcmd that changes their options
    at every clip-local frame (0..frames) where the curves change them."""

    def at(frame: int) -> tuple[Filter, ...]:
        values = {name: keyframes.value_at(anim, frame / fps) for name, anim in curves.items()}
        return build({**params, **values})

    first = at(0)
    named = tuple(Filter(f.name, f.args, f"{instance}_{i}") for i, f in enumerate(first))
    last_frame = min(frames, math.ceil(max(k.time for a in curves.values() for k in a.keyframes) * fps) + 1)
    commands = []
    previous = first
    for frame in range(1, last_frame + 1):
        current = at(frame)
        for i, (was, now) in enumerate(zip(previous, current, strict=True)):
            if was.args == now.args:
                continue
            old = dict(_options(was.args))
            for key, value in _options(now.args):
                if old.get(key) != value:
                    # Half a frame early: the frame at exactly this time gets the new value.
                    commands.append(f"{number((frame - 0.5) / fps)} {named[i].ref} {key} {value}")
        previous = current
    if not commands:
        return named
    return (Filter("sendcmd", options(c=";".join(commands))), *named)
