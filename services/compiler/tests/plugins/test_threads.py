"""Worker threads each get their own instance, so concurrent frames never see each other's state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tstudio_compiler.plugins import PluginRegistry

from .conftest import random_frame
from .test_examples import numpy_box_blur


def test_concurrent_blurs_with_different_params_are_all_right(examples: PluginRegistry) -> None:
    jobs = [(random_frame(40 + i, 50 + 2 * i, seed=i), i % 5) for i in range(24)]

    def blur(job: tuple[np.ndarray, int]) -> np.ndarray:
        frame, radius = job
        return examples.apply_effect("blur", frame, 0.0, {"radius": radius})

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(blur, jobs))
    for (frame, radius), out in zip(jobs, results, strict=True):
        np.testing.assert_array_equal(out, numpy_box_blur(frame, radius))
    (stats,) = examples.stats("blur")
    assert stats.calls == len(jobs) and stats.faults == 0
