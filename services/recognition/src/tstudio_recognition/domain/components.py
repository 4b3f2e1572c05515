"""Connected components of a binary mask by run-length labelling (8-connected), for the text
detector's probability map; works on runs, not pixels, so it stays fast in numpy + Python."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Component:
    # Bounding box, inclusive-exclusive, in mask pixels.
    x0: int
    y0: int
    x1: int
    y1: int
    pixels: int


def components(mask: np.ndarray) -> list[Component]:
    """The 8-connected components of a 2-D boolean mask, as bounding boxes with pixel counts."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    starts_y, starts_x = np.nonzero(edges == 1)
    _, ends_x = np.nonzero(edges == -1)
    if starts_y.size == 0:
        return []
    parent = list(range(starts_y.size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Runs come row by row, left to right; walk each row against the previous one.
    row_bounds = np.searchsorted(starts_y, np.arange(mask.shape[0] + 1))
    for y in range(1, mask.shape[0]):
        a, b = row_bounds[y], row_bounds[y + 1]
        pa, pb = row_bounds[y - 1], row_bounds[y]
        j = pa
        for i in range(a, b):
            s, e = starts_x[i], ends_x[i]
            while j < pb and ends_x[j] < s:  # previous run ends left of this one (diagonal allowed)
                j += 1
            k = j
            while k < pb and starts_x[k] <= e:
                root_i, root_k = find(i), find(k)
                if root_i != root_k:
                    parent[root_k] = root_i
                k += 1
    roots = np.array([find(i) for i in range(starts_y.size)])
    found: list[Component] = []
    for root in np.unique(roots):
        sel = roots == root
        ys, xs0, xs1 = starts_y[sel], starts_x[sel], ends_x[sel]
        found.append(
            Component(
                int(xs0.min()), int(ys.min()), int(xs1.max()), int(ys.max()) + 1, int((xs1 - xs0).sum())
            )
        )
    return found


def dilate(mask: np.ndarray) -> np.ndarray:
    """2x2 dilation (what PaddleOCR's DB post-processing applies before finding boxes)."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:, 1:] |= out[:, :-1].copy()
    return out
