"""Multi-camera template cells (`templates[i].cells[k]`: a box in percent of the frame with a fit
mode and an alignment) as our clip transform and crop."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    x: float  # percent of the frame, left edge
    y: float
    width: float
    height: float
    fit: str  # "Contain" | "Cover" | "Fill"
    align_x: str  # "Left" | "Center" | "Right"
    align_y: str  # "Top" | "Center" | "Bottom"
    scale: float = 1.0


def place_in_cell(
    cell: Cell, source: tuple[int, int], frame: tuple[int, int]
) -> tuple[dict[str, float], dict[str, float]]:
    """(transform, crop) in our project's JSON form that shows `source` (its display size) in the cell.

    Cover crops the source to the cell's shape (at the alignment's side) and fills the cell; Contain
    fits it whole inside the cell, placed by the alignment. Our transform scales by width relative to
    the frame and positions the centre, so both reduce to a crop, a width and a centre.
    """
    fw, fh = frame
    sw, sh = source
    cell_w, cell_h = cell.width / 100 * fw, cell.height / 100 * fh
    crop = {"left": 0.0, "top": 0.0, "right": 0.0, "bottom": 0.0}
    source_aspect, cell_aspect = sw / sh, cell_w / cell_h
    if cell.fit == "Cover":
        if source_aspect > cell_aspect:
            cut = 1 - cell_aspect / source_aspect
            crop["left"], crop["right"] = _split(cut, cell.align_x, "Left", "Right")
        elif source_aspect < cell_aspect:
            cut = 1 - source_aspect / cell_aspect
            crop["top"], crop["bottom"] = _split(cut, cell.align_y, "Top", "Bottom")
        shown_w, shown_h = cell_w, cell_h
    else:
        fit = min(cell_w / sw, cell_h / sh)
        shown_w, shown_h = sw * fit, sh * fit
    shown_w, shown_h = shown_w * cell.scale, shown_h * cell.scale
    left = cell.x / 100 * fw + _offset(cell_w - shown_w, cell.align_x, "Left", "Right")
    top = cell.y / 100 * fh + _offset(cell_h - shown_h, cell.align_y, "Top", "Bottom")
    transform = {
        "x": (left + shown_w / 2) / fw,
        "y": (top + shown_h / 2) / fh,
        "scale": shown_w / fw,
    }
    return transform, {k: v for k, v in crop.items() if v}


def _split(cut: float, align: str, first: str, last: str) -> tuple[float, float]:
    """How a crop of `cut` (fraction) is shared between the two sides: the aligned side keeps its edge."""
    if align == first:
        return 0.0, cut
    if align == last:
        return cut, 0.0
    return cut / 2, cut / 2


def _offset(slack: float, align: str, first: str, last: str) -> float:
    if align == first:
        return 0.0
    if align == last:
        return slack
    return slack / 2
