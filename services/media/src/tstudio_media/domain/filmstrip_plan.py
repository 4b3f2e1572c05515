"""Which times a filmstrip shows and where each tile goes on the sprite sheet."""

from __future__ import annotations

import math
from dataclasses import dataclass

from svckit.errors import FieldViolation, InvalidArgument

MAX_TILES = 400


@dataclass(frozen=True)
class Tile:
    time_seconds: float
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class FilmstripLayout:
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    tiles: tuple[Tile, ...]

    @property
    def size(self) -> tuple[int, int]:
        return self.columns * self.tile_width, self.rows * self.tile_height


def filmstrip_times(duration: float, count: int, interval: float, start: float, end: float) -> list[float]:
    """`count` times at the middle of equal slices of [start, end), or one every `interval` from
    start. Exactly one of count and interval must be given."""
    violations = []
    if (count > 0) == (interval > 0):
        violations.append(FieldViolation("count", "give count or interval_seconds, not both"))
    if count < 0 or count > MAX_TILES:
        violations.append(FieldViolation("count", f"must be between 1 and {MAX_TILES}"))
    if interval < 0:
        violations.append(FieldViolation("interval_seconds", "must be > 0"))
    stop = end if end > 0 else duration
    if start < 0 or (duration > 0 and start >= stop):
        violations.append(FieldViolation("start_seconds", "must be >= 0 and before the end"))
    if violations:
        raise InvalidArgument("invalid filmstrip request", field_violations=violations)
    span = stop - start
    if count:
        return [start + (i + 0.5) * span / count for i in range(count)]
    steps = math.ceil(span / interval - 1e-9)
    if steps > MAX_TILES:
        raise InvalidArgument(
            f"one frame every {interval}s gives {steps} tiles, more than {MAX_TILES}",
            field_violations=[FieldViolation("interval_seconds", f"gives more than {MAX_TILES} tiles")],
        )
    return [start + i * interval for i in range(max(1, steps))]


def layout(times: list[float], tile_width: int, tile_height: int, columns: int) -> FilmstripLayout:
    """Tiles row by row; `columns` 0 picks a near-square grid."""
    if columns < 0:
        raise InvalidArgument(
            "columns must be >= 0", field_violations=[FieldViolation("columns", "must be >= 0")]
        )
    count = len(times)
    cols = min(columns, count) if columns else math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    tiles = tuple(
        Tile(t, (i % cols) * tile_width, (i // cols) * tile_height, tile_width, tile_height)
        for i, t in enumerate(times)
    )
    return FilmstripLayout(cols, rows, tile_width, tile_height, tiles)
