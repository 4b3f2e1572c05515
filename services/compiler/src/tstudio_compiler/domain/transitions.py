"""The transition catalog: every FFmpeg `xfade` transition, plus Timeline Studio's names mapped onto
the closest of them (listed as aliases)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tstudio_compiler.domain.params import Param

# Every transition of FFmpeg 8.1's xfade except `custom` (which needs expressions).
XFADE_TRANSITIONS = (
    "fade wipeleft wiperight wipeup wipedown slideleft slideright slideup slidedown circlecrop rectcrop "
    "distance fadeblack fadewhite radial smoothleft smoothright smoothup smoothdown circleopen circleclose "
    "vertopen vertclose horzopen horzclose dissolve pixelize diagtl diagtr diagbl diagbr hlslice hrslice "
    "vuslice vdslice hblur fadegrays wipetl wipetr wipebl wipebr squeezeh squeezev zoomin fadefast fadeslow "
    "hlwind hrwind vuwind vdwind coverleft coverright coverup coverdown revealleft revealright revealup "
    "revealdown"
).split()

# Timeline Studio names -> xfade transition.
ALIASES = {
    "crossfade": "fade",
    "zoom": "zoomin",
    "slide": "slideleft",
    "scale": "zoomin",
    "rotate": "radial",
    "flip": "squeezeh",
    "push": "coverleft",
    "squeeze": "squeezev",
    "diagonal": "diagtl",
    "spiral": "radial",
    "wipe-horizontal": "wipeleft",
    "wipe-vertical": "wipedown",
    "wipe-diagonal": "wipetl",
    "radial-wipe": "radial",
    "blinds": "hlslice",
    "iris": "circleopen",
    "swirl": "circleclose",
    "zoom-blur": "hblur",
    "wave": "hlwind",
    "glitch": "pixelize",
}


@dataclass(frozen=True)
class TransitionDef:
    type: str
    display_name: str
    xfade: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    origin: str = "builtin"


class TransitionCatalog:
    def __init__(self, definitions: Iterable[TransitionDef]) -> None:
        self._defs = {d.type: d for d in definitions}
        self._by_alias = {alias: d for d in self._defs.values() for alias in d.aliases}

    def get(self, type_name: str) -> TransitionDef | None:
        return self._defs.get(type_name) or self._by_alias.get(type_name)

    def all(self) -> list[TransitionDef]:
        return list(self._defs.values())

    def names(self) -> list[str]:
        return [*self._defs, *self._by_alias]


def builtin_transitions() -> list[TransitionDef]:
    aliases: dict[str, list[str]] = {}
    for alias, target in ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    return [
        TransitionDef(name, name.replace("_", " ").capitalize(), name, (), tuple(aliases.get(name, ())))
        for name in XFADE_TRANSITIONS
    ]
