"""3D LUT files (.cube) of svckit.tone_mapping, for FFmpeg's lut3d in proxy graphs."""

from __future__ import annotations

from pathlib import Path

from svckit.tone_mapping import write_lut


def tone_map_lut(hdr: str) -> Path:
    """The .cube file mapping BT.2020 R'G'B' of a `hdr` ("pq"/"hlg") source to SDR BT.709 R'G'B'."""
    return write_lut(hdr)
