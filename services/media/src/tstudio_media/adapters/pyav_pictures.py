"""Thumbnails and filmstrips: frames from `pyav_frames`, pictures from `picture_encoding`."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tstudio_media.adapters.picture_encoding import encode, keeps_alpha, sprite_sheet, to_image
from tstudio_media.adapters.pyav_frames import Grabbed, open_frames
from tstudio_media.domain.filmstrip_plan import filmstrip_times, layout
from tstudio_media.domain.picture_request import PictureSpec, SeekMode, fit_size
from tstudio_media.domain.pictures import Filmstrip, FilmstripRequest, Picture, PlacedTile

DEFAULT_TILE_WIDTH = 160


class PyAVPictures:
    """Blocking: call from a worker thread."""

    def __init__(self, max_pixels: int) -> None:
        self._max_pixels = max_pixels

    def thumbnail(self, path: Path, seconds: float, spec: PictureSpec, mode: SeekMode) -> Picture:
        with open_frames(path, mode, self._max_pixels) as frames:
            grabbed = frames.at(seconds)
            encoded = encode(to_image(grabbed, spec.width, spec.height, keeps_alpha(spec)), spec)
        return Picture(encoded.data, encoded.mime_type, encoded.width, encoded.height, grabbed.time_seconds)

    def filmstrip(
        self, path: Path, request: FilmstripRequest, spec: PictureSpec, mode: SeekMode
    ) -> Filmstrip:
        with open_frames(path, mode, self._max_pixels) as frames:
            times = filmstrip_times(
                frames.duration_seconds,
                request.count,
                request.interval_seconds,
                request.start_seconds,
                request.end_seconds,
            )
            pictures: list[Image.Image] = []
            frame_times: list[float] = []
            tile_w = tile_h = 0
            for seconds in times:
                grabbed = frames.at(seconds)
                if not pictures:
                    tile_w, tile_h = _tile_size(grabbed, spec)
                # Scaled at once: a strip of full-size decoded frames would not fit in memory.
                pictures.append(to_image(grabbed, tile_w, tile_h, keeps_alpha(spec)))
                frame_times.append(grabbed.time_seconds)
        plan = layout(times, tile_w, tile_h, request.columns)
        sheet = sprite_sheet(
            [
                # A frame of another shape than the first is centred in its tile.
                (p, t.x + (tile_w - p.width) // 2, t.y + (tile_h - p.height) // 2)
                for p, t in zip(pictures, plan.tiles, strict=True)
            ],
            plan.size,
        )
        encoded = encode(sheet, spec)
        placed = tuple(PlacedTile(t, ft) for t, ft in zip(plan.tiles, frame_times, strict=True))
        return Filmstrip(Picture(encoded.data, encoded.mime_type, encoded.width, encoded.height), placed)


def _tile_size(grabbed: Grabbed, spec: PictureSpec) -> tuple[int, int]:
    display_w, display_h = grabbed.display_size
    if grabbed.rotation in (90, 270):
        display_w, display_h = display_h, display_w
    box_w = spec.width or (0 if spec.height else DEFAULT_TILE_WIDTH)
    return fit_size(display_w, display_h, box_w, spec.height)
