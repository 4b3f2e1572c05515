"""The sound of a speed ramp: a WSOLA time-stretch (pitch kept) that follows the ramp's integral.

FFmpeg's atempo drops about 13 ms of its buffer whenever its tempo changes at run time, so a ramp
played through it drifts out of sync with the picture. Here each output window of 1024 samples
(hop 512, Hann, so the windows sum to one) is cut from the source where the ramp puts that moment
(`speed_ramp.offset`), moved by at most ±256 samples to the offset that continues the previous
window's waveform best (waveform-similarity overlap-add). The picture and the sound therefore stay
within a few milliseconds of each other along the whole ramp.
"""

from __future__ import annotations

import numpy as np

from tstudio_compiler.domain import speed_ramp
from tstudio_compiler.domain.keyframes import Animation

WINDOW = 1024
HOP = WINDOW // 2
SEARCH = 256
# Correlate on every 4th sample: 16x less work, still well within one window of accuracy.
DECIMATE = 4


def stretch(samples: np.ndarray, ramp: Animation, rate: int, length: int) -> np.ndarray:
    """`samples` (channels, n), the source from the clip's source_in, played along `ramp`:
    `length` output samples, shape (channels, length)."""
    channels = samples.shape[0]
    pad = SEARCH + WINDOW
    source = np.pad(samples, ((0, 0), (pad, pad + WINDOW)))
    mono = source.mean(axis=0)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)).astype(np.float32)
    # One window before the first, so the first output samples are not faded in.
    out = np.zeros((channels, length + 2 * WINDOW), dtype=np.float32)
    previous: int | None = None
    for at in range(-HOP, length + HOP, HOP):
        # The source sample the ramp plays at this output sample (the window's centre lines up).
        centre = speed_ramp.offset(ramp, max(0, at + HOP) / rate) * rate
        start = round(centre) - HOP + pad
        start = min(max(start, SEARCH), source.shape[1] - WINDOW - SEARCH)
        if previous is not None:
            natural = mono[previous + HOP : previous + HOP + WINDOW : DECIMATE]
            region = mono[start - SEARCH : start + SEARCH + WINDOW : DECIMATE]
            if natural.any() and region.any():
                scores = np.correlate(region, natural, mode="valid")
                start += int(np.argmax(scores)) * DECIMATE - SEARCH
        out[:, at + HOP : at + HOP + WINDOW] += source[:, start : start + WINDOW] * window
        previous = start
    return out[:, HOP : HOP + length]
