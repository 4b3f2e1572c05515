"""3D LUT files (.cube) of svckit.tone_mapping, for FFmpeg's lut3d in proxy graphs.

A proxy converts every frame, so the per-pixel numpy transfer is computed once per HDR kind on a
65-point grid of BT.2020 R'G'B' and applied by lut3d (tetrahedral) inside the filter graph. Files
are written atomically under the system temp folder and reused.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from svckit.tone_mapping import sdr_from_hdr

LUT_SIZE = 65
_VERSION = 1


def tone_map_lut(hdr: str) -> Path:
    """The .cube file mapping BT.2020 R'G'B' of a `hdr` ("pq"/"hlg") source to SDR BT.709 R'G'B'."""
    folder = Path(tempfile.gettempdir()) / "tstudio-media-luts"
    target = folder / f"{hdr}-{LUT_SIZE}-v{_VERSION}.cube"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    grid = np.linspace(0.0, 1.0, LUT_SIZE, dtype=np.float32)
    # .cube order: red changes fastest, then green, then blue.
    blue, green, red = np.meshgrid(grid, grid, grid, indexing="ij")
    points = np.stack([red, green, blue], axis=-1).reshape(-1, 3)
    mapped = sdr_from_hdr(points, hdr)
    lines = "\n".join(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in mapped)
    handle, partial = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "w") as out:
        out.write(f"LUT_3D_SIZE {LUT_SIZE}\n{lines}\n")
    os.replace(partial, target)
    return target
