"""Results of the picture operations (thumbnail, filmstrip), free of any imaging library."""

from __future__ import annotations

from dataclasses import dataclass

from tstudio_media.domain.filmstrip_plan import Tile


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime_type: str
    width: int
    height: int
    # Presentation time of the frame shown (0 for a still image).
    frame_time_seconds: float = 0.0


@dataclass(frozen=True)
class PlacedTile:
    tile: Tile
    frame_time_seconds: float


@dataclass(frozen=True)
class Filmstrip:
    sheet: Picture
    tiles: tuple[PlacedTile, ...]


@dataclass(frozen=True)
class FilmstripRequest:
    count: int = 0
    interval_seconds: float = 0.0
    start_seconds: float = 0.0
    end_seconds: float = 0.0
    columns: int = 0
