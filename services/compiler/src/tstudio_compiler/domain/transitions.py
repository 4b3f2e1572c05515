"""The transition catalog: every FFmpeg `xfade` transition, plus Timeline Studio's names mapped onto
the closest of them (listed as aliases). Plugin transitions (`plugin:<id>`) come from providers handed
in by the composition root, as plugin effects do (see effects.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from tstudio_compiler.domain.params import Param, ParamType

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
    # The xfade transition that renders it; empty for transitions rendered on frames (plugins).
    xfade: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    origin: str = "builtin"

    @property
    def on_frames(self) -> bool:
        """Rendered frame by frame outside FFmpeg (a plugin), not by xfade."""
        return not self.xfade


class TransitionProvider(Protocol):
    """Supplies extra transitions (e.g. the WASM plugin host registering `plugin:<id>`)."""

    def transitions(self) -> Iterable[TransitionDef]: ...


class TransitionCatalog:
    def __init__(
        self, definitions: Iterable[TransitionDef], providers: Iterable[TransitionProvider] = ()
    ) -> None:
        self._defs = {d.type: d for d in definitions}
        self._by_alias = {alias: d for d in self._defs.values() for alias in d.aliases}
        # Asked on every lookup: plugins are installed and removed while the service runs.
        self._providers = tuple(providers)

    def get(self, type_name: str) -> TransitionDef | None:
        found = self._defs.get(type_name) or self._by_alias.get(type_name)
        if found is not None:
            return found
        for provider in self._providers:
            for transition in provider.transitions():
                if transition.type == type_name:
                    return transition
        return None

    def all(self) -> list[TransitionDef]:
        out = list(self._defs.values())
        for provider in self._providers:
            out.extend(provider.transitions())
        return out

    def names(self) -> list[str]:
        return [*self._defs, *self._by_alias, *(t.type for p in self._providers for t in p.transitions())]


def builtin_transitions() -> list[TransitionDef]:
    aliases: dict[str, list[str]] = {}
    for alias, target in ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    return [
        TransitionDef(name, name.replace("_", " ").capitalize(), name, (), tuple(aliases.get(name, ())))
        for name in XFADE_TRANSITIONS
    ] + [LUMA]


# A luma-matte wipe (MLT's luma, Shotstack's luma asset): darker areas of the wipe image change first.
# Rendered by the planner with maskedmerge over a matte made per frame (compositing_graph.py).
LUMA = TransitionDef(
    "luma",
    "Luma matte wipe",
    "luma",
    (
        Param("path", ParamType.STRING, 0, 0, "", "a greyscale wipe image; empty: a left-to-right ramp"),
        Param("softness", ParamType.NUMBER, 0, 1, 0.1, "width of the soft edge, 0..1 of the grey range"),
    ),
)
