"""HDR (PQ, HLG) to SDR BT.709 as a 3D LUT that FFmpeg's `lut3d` applies.

The bundled FFmpeg has no zscale, and its `tonemap` filter needs linear float RGB that nothing else
in it produces (`colorspace` knows no PQ/HLG). So the whole transfer is computed here with numpy,
once per kind, as the same steps as the ffmpeg CLI's usual zscale recipe
(`zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0:peak=10,
zscale=t=bt709:m=bt709:r=tv`):

1. the source's non-linear R'G'B' (BT.2020) to linear light, 1.0 = 100 cd/m2: PQ by its EOTF
   (SMPTE ST 2084); HLG by its inverse OETF and the BT.2100 OOTF for a 1000 cd/m2 display;
2. BT.2020 to BT.709 primaries (in linear light);
3. Hable's filmic curve on the largest component (hue kept), scaled so that the peak (1000 cd/m2,
   the usual HDR10 mastering peak and HLG's reference display) maps to 1.0;
4. encoded for a BT.709 display: the inverse of the BT.1886 EOTF (gamma 2.4), as zscale does by
   default (its transfers are display-referred): the light is display light, not scene light.

The graph converts YUV to 16-bit R'G'B' with the source's matrix and range by name, applies the LUT
(tetrahedral interpolation of a 65-point cube) and converts to the working colour by name.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

SIZE = 65
VERSION = 1
PEAK_NITS = 1000.0
REFERENCE_WHITE = 100.0

_BT2020_TO_BT709 = np.array(
    [
        [1.660491, -0.587641, -0.072850],
        [-0.124550, 1.132900, -0.008349],
        [-0.018151, -0.100579, 1.118730],
    ]
)


def lut_path(hdr: str) -> str:
    """Where the LUT for `hdr` ("pq" or "hlg") lives; adapters write it there on first use."""
    return os.path.join(tempfile.gettempdir(), "tstudio-luts", f"tonemap-{hdr}-hable-{SIZE}-v{VERSION}.cube")


def _pq_to_linear(e: np.ndarray) -> np.ndarray:
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.power(np.clip(e, 0, 1), 1 / m2)
    nits = 10000 * np.power(np.maximum(p - c1, 0) / (c2 - c3 * p), 1 / m1)
    return nits / REFERENCE_WHITE


def _hlg_to_linear(e: np.ndarray) -> np.ndarray:
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.clip(e, 0, 1)
    scene = np.where(e <= 0.5, e * e / 3, (np.exp((e - c) / a) + b) / 12)
    # BT.2100 OOTF for a 1000 cd/m2 display: system gamma 1.2 on the scene luminance.
    luma = scene @ np.array([0.2627, 0.6780, 0.0593])
    gain = np.power(np.maximum(luma, 1e-12), 0.2)[..., None]
    return PEAK_NITS * gain * scene / REFERENCE_WHITE


def _hable(x: np.ndarray) -> np.ndarray:
    a, b, c, d, e, f = 0.15, 0.5, 0.1, 0.2, 0.02, 0.3
    return (x * (a * x + c * b) + d * e) / (x * (a * x + b) + d * f) - e / f


def _bt1886_inverse_eotf(linear: np.ndarray) -> np.ndarray:
    # Display light for a BT.1886 (gamma 2.4) SDR display: zimg's display-referred default.
    return np.power(np.clip(linear, 0, 1), 1 / 2.4)


def tone_map(rgb: np.ndarray, hdr: str) -> np.ndarray:
    """Non-linear BT.2020 R'G'B' of an `hdr` ("pq"/"hlg") source (..., 3) in 0..1 -> BT.709 SDR R'G'B'."""
    linear = _pq_to_linear(rgb) if hdr == "pq" else _hlg_to_linear(rgb)
    linear = linear @ _BT2020_TO_BT709.T
    signal = np.maximum(linear.max(axis=-1, keepdims=True), 1e-6)
    mapped = _hable(signal) / _hable(np.array(PEAK_NITS / REFERENCE_WHITE))
    return _bt1886_inverse_eotf(linear * (mapped / signal))


def cube(hdr: str) -> str:
    """The LUT in the .cube format lut3d reads (red varies fastest)."""
    steps = np.linspace(0.0, 1.0, SIZE)
    b, g, r = np.meshgrid(steps, steps, steps, indexing="ij")
    table = tone_map(np.stack([r, g, b], axis=-1).reshape(-1, 3), hdr)
    lines = [f'TITLE "tstudio {hdr} to SDR BT.709 (hable, {PEAK_NITS:g} nits peak)"', f"LUT_3D_SIZE {SIZE}"]
    lines.extend(f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in table)
    return "\n".join(lines) + "\n"
