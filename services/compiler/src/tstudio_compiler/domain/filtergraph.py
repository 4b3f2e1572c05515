"""A filter graph as data: the planner builds it once, the PyAV executor instantiates it node by node
and the ffmpeg command builder prints it in filtergraph syntax, so both run the same graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Characters that end a filter's arguments in filtergraph syntax; arguments holding them are quoted.
_SPECIAL = set(",;[]'\\ ")


@dataclass(frozen=True)
class Filter:
    """One FFmpeg filter and its option string exactly as `avfilter_init_str` reads it."""

    name: str
    args: str = ""
    # Instance name, for filters that receive commands (`sendcmd` targets `name@instance`).
    instance: str = ""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.instance}" if self.instance else self.name

    def render(self) -> str:
        if not self.args:
            return self.ref
        args = self.args
        if any(ch in _SPECIAL for ch in args):
            args = "'" + args.replace("'", "'\\''") + "'"
        return f"{self.ref}={args}"


def options(**values: object) -> str:
    """`key=value` pairs joined with `:`; floats printed compactly."""
    return ":".join(f"{k}={_fmt(v)}" for k, v in values.items() if v is not None)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def number(value: float) -> str:
    return _fmt(float(value))


@dataclass(frozen=True)
class Chain:
    """Filters applied in order, reading the labelled `inputs` and writing the label `output`."""

    inputs: tuple[str, ...]
    filters: tuple[Filter, ...]
    output: str

    @property
    def outputs(self) -> tuple[str, ...]:
        """Labels of the last filter's output pads: `a|b` names two (after a `split`)."""
        return tuple(self.output.split("|"))

    def render(self) -> str:
        ins = "".join(f"[{label}]" for label in self.inputs)
        body = ",".join(f.render() for f in self.filters) if self.filters else _passthrough(self)
        return ins + body + "".join(f"[{label}]" for label in self.outputs)


def _passthrough(chain: Chain) -> str:
    return "anull" if chain.output.startswith("a") else "null"


@dataclass(frozen=True)
class Graph:
    chains: tuple[Chain, ...]

    def render(self, rename: dict[str, str] | None = None) -> str:
        """Filtergraph syntax; `rename` maps labels (e.g. our input names to `3:v`)."""
        rename = rename or {}
        out = []
        for chain in self.chains:
            renamed = Chain(
                tuple(rename.get(i, i) for i in chain.inputs),
                chain.filters,
                "|".join(rename.get(o, o) for o in chain.outputs),
            )
            out.append(renamed.render())
        return ";".join(out)

    def labels(self) -> Iterable[str]:
        for chain in self.chains:
            yield from chain.inputs
            yield from chain.outputs
