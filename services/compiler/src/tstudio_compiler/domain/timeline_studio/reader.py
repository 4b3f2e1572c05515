"""Reading the frontend's JSON by field path: typed getters that collect every problem instead of
stopping at the first, so one answer names every field the frontend must fix."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Problems:
    """Refusals (the schema cannot be rendered) and notes (translated approximately), by path."""

    refused: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def refuse(self, path: str, why: str) -> None:
        if (path, why) not in self.refused:
            self.refused.append((path, why))

    def note(self, path: str, what: str) -> None:
        if (path, what) not in self.notes:
            self.notes.append((path, what))


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    """Typed access to one JSON object at `path`; wrong types are refused with their path."""

    def __init__(self, data: Any, path: str, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        if isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            if data is not None:
                problems.refuse(path or "schema", "must be an object")

    def at(self, key: str) -> str:
        return join(self.path, key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def number(self, key: str, default: float | None = None, *, required: bool = False) -> float:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.refuse(self.at(key), "is required")
            return 0.0 if default is None else default
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problems.refuse(self.at(key), "must be a finite number")
            return 0.0 if default is None else default
        return float(value)

    def string(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.refuse(self.at(key), "is required")
            return default
        if not isinstance(value, str):
            self.problems.refuse(self.at(key), "must be a string")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problems.refuse(self.at(key), "must be true or false")
            return default
        return value

    def child(self, key: str) -> Reader:
        return Reader(self.data.get(key), self.at(key), self.problems)

    def items(self, key: str) -> list[Reader]:
        """The objects of a list field (absent = empty)."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.refuse(self.at(key), "must be a list")
            return []
        return [Reader(item, join(self.at(key), i), self.problems) for i, item in enumerate(value)]

    def strings(self, key: str) -> list[tuple[str, str]]:
        """(path, value) of each string of a list field."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.refuse(self.at(key), "must be a list")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append((join(self.at(key), i), item))
            else:
                self.problems.refuse(join(self.at(key), i), "must be a string")
        return out

    def pair(self, key: str) -> tuple[float, float] | None:
        """A `[number, number]` field such as `resolution`."""
        value = self.data.get(key)
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
            )
        ):
            self.problems.refuse(self.at(key), "must be [width, height]")
            return None
        return float(value[0]), float(value[1])
