"""HDR (PQ, HLG) to SDR BT.709 in numpy, the ffmpeg CLI's usual recipe step for step:
`zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0:peak=10,zscale=t=bt709`.

PQ EOTF (HLG: inverse OETF and the BT.2100 OOTF for a 1000 cd/m² display) with 100 cd/m² as 1.0,
BT.2020 -> BT.709 primaries in linear light, Hable on the brightest component (hue kept) with a
1000 cd/m² peak, then the inverse BT.1886 EOTF (gamma 2.4). One copy for every service that shows
HDR sources (numpy is imported by the functions, so svckit itself does not need it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

PEAK = 10.0  # 1000 cd/m² over the 100 cd/m² SDR white
BT2020_TO_BT709 = (
    (1.660491, -0.587641, -0.072850),
    (-0.124550, 1.132900, -0.008349),
    (-0.018151, -0.100579, 1.118730),
)
BT2020_LUMA = (0.2627, 0.6780, 0.0593)


def sdr_from_hdr(signal: Any, hdr: str) -> Any:
    """Non-linear BT.2020 R'G'B' in 0..1 (float array, last axis RGB) of a "pq" or "hlg" source
    -> non-linear BT.709 R'G'B' in 0..1 (gamma 2.4)."""
    import numpy as np

    linear = hlg_to_linear(signal) if hdr == "hlg" else pq_to_linear(signal)
    linear = np.clip(linear @ np.asarray(BT2020_TO_BT709, dtype=np.float32).T, 0.0, None)
    brightest = np.maximum(linear.max(axis=-1, keepdims=True), 1e-6)
    mapped = linear * (hable(brightest) / hable(PEAK) / brightest)
    return np.clip(mapped, 0.0, 1.0) ** (1 / 2.4)


def pq_to_linear(signal: Any) -> Any:
    """SMPTE ST 2084 EOTF, in units of 100 cd/m²."""
    import numpy as np

    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    power = np.power(np.clip(signal, 0.0, 1.0), 1 / m2)
    nits = 10000.0 * np.power(np.maximum(power - c1, 0.0) / (c2 - c3 * power), 1 / m1)
    return nits / 100.0


def hlg_to_linear(signal: Any) -> Any:
    """ARIB STD-B67 inverse OETF and the BT.2100 OOTF for a 1000 cd/m² display, in 100 cd/m²."""
    import numpy as np

    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.clip(signal, 0.0, 1.0)
    scene = np.where(e <= 0.5, e * e / 3.0, (np.exp((e - c) / a) + b) / 12.0)
    luma = np.maximum(scene @ np.asarray(BT2020_LUMA, dtype=np.float32), 1e-9)[..., None]
    return 1000.0 * np.power(luma, 1.2 - 1.0) * scene / 100.0


def hable(x: Any) -> Any:
    """FFmpeg tonemap's Hable (filmic) curve."""
    a, b, c, d, e, f = 0.15, 0.50, 0.10, 0.20, 0.02, 0.30
    return (x * (x * a + b * c) + d * e) / (x * (x * a + b) + d * f) - e / f


# The transfer as a 3D LUT for FFmpeg's lut3d (tetrahedral), for graphs that convert every frame:
# computed once per kind on a 65-point grid of BT.2020 R'G'B' and kept under the system temp folder.
LUT_SIZE = 65
_LUT_VERSION = 2


def lut_path(hdr: str) -> str:
    """Where the .cube file for `hdr` ("pq" or "hlg") lives (see `write_lut`)."""
    return os.path.join(
        tempfile.gettempdir(), "tstudio-luts", f"tonemap-{hdr}-hable-{LUT_SIZE}-v{_LUT_VERSION}.cube"
    )


def cube(hdr: str) -> str:
    """The LUT in the .cube format lut3d reads (red varies fastest, then green, then blue)."""
    import numpy as np

    grid = np.linspace(0.0, 1.0, LUT_SIZE, dtype=np.float32)
    blue, green, red = np.meshgrid(grid, grid, grid, indexing="ij")
    mapped = sdr_from_hdr(np.stack([red, green, blue], axis=-1).reshape(-1, 3), hdr)
    lines = [
        f'TITLE "tstudio {hdr} to SDR BT.709 (hable, {PEAK * 100:g} cd/m2 peak)"',
        f"LUT_3D_SIZE {LUT_SIZE}",
    ]
    lines.extend(f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in mapped)
    return "\n".join(lines) + "\n"


def write_lut(hdr: str) -> Path:
    """The .cube file for `hdr`, written atomically on first use (concurrent writers are safe:
    each writes its own temp file and the rename is atomic)."""
    target = Path(lut_path(hdr))
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        with os.fdopen(handle, "w") as out:
            out.write(cube(hdr))
        os.replace(partial, target)
    return target
