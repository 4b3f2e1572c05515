"""The example plugins give the same pixels as the same operation written in numpy."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from tstudio_compiler.plugins import PluginFault, PluginRegistry

from .conftest import effect_wat, manifest, random_frame


def numpy_invert(rgba: np.ndarray) -> np.ndarray:
    out = rgba.copy()
    out[..., :3] = 255 - rgba[..., :3]
    return out


def numpy_box_blur(rgba: np.ndarray, r: int) -> np.ndarray:
    """Box blur with clamped edges, horizontal then vertical, each pass rounded to 8 bits."""
    if r <= 0:
        return rgba.copy()
    window = 2 * r + 1
    out = rgba.astype(np.int64)
    for axis in (1, 0):
        pad = [(0, 0)] * 3
        pad[axis] = (r + 1, r)
        summed = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis)
        n = out.shape[axis]
        upper = np.take(summed, np.arange(window, window + n), axis=axis)
        lower = np.take(summed, np.arange(0, n), axis=axis)
        out = (upper - lower + r) // window
    return out.astype(np.uint8)


def numpy_vignette(rgba: np.ndarray, strength: float, radius: float) -> np.ndarray:
    h, w = rgba.shape[:2]
    cx, cy = w / 2.0, h / 2.0
    dx = (np.arange(w) + 0.5 - cx) / cx
    dy = (np.arange(h) + 0.5 - cy) / cy
    d = np.sqrt((dx[None, :] * dx[None, :] + dy[:, None] * dy[:, None]) * 0.5)
    t = np.clip((d - radius) / (1.0 - radius), 0.0, 1.0) if radius < 1.0 else np.zeros_like(d)
    f = 1.0 - strength * (t * t * (3.0 - 2.0 * t))
    out = rgba.copy()
    out[..., :3] = (rgba[..., :3] * f[..., None] + 0.5).astype(np.uint8)
    return out


def numpy_crossfade(a: np.ndarray, b: np.ndarray, progress: float) -> np.ndarray:
    k = min(256, int(progress * 256.0 + 0.5))
    return ((a.astype(np.uint32) * (256 - k) + b.astype(np.uint32) * k + 128) >> 8).astype(np.uint8)


@pytest.mark.parametrize("shape", [(120, 160), (23, 37), (1, 1), (1, 3)])
def test_invert_matches_numpy_and_keeps_alpha(examples: PluginRegistry, shape: tuple[int, int]) -> None:
    frame = random_frame(*shape)
    before = frame.copy()
    out = examples.apply_effect("invert", frame, 0.0)
    np.testing.assert_array_equal(out, numpy_invert(before))
    np.testing.assert_array_equal(frame, before)  # the caller's frame is not touched


@pytest.mark.parametrize(("shape", "radius"), [((120, 160), 4), ((23, 37), 1), ((9, 7), 20), ((48, 64), 0)])
def test_blur_matches_numpy_box_blur(examples: PluginRegistry, shape: tuple[int, int], radius: int) -> None:
    frame = random_frame(*shape, seed=radius)
    out = examples.apply_effect("blur", frame, 0.0, {"radius": radius})
    np.testing.assert_array_equal(out, numpy_box_blur(frame, radius))


def test_blur_default_radius_is_the_manifest_default(examples: PluginRegistry) -> None:
    frame = random_frame(40, 50, seed=3)
    np.testing.assert_array_equal(examples.apply_effect("blur", frame, 0.0), numpy_box_blur(frame, 4))


@pytest.mark.parametrize(("strength", "radius"), [(0.5, 0.5), (1.0, 0.0), (0.3, 1.0)])
def test_vignette_matches_numpy(examples: PluginRegistry, strength: float, radius: float) -> None:
    frame = random_frame(90, 160, seed=7)
    out = examples.apply_effect("vignette", frame, 1.0, {"strength": strength, "radius": radius})
    np.testing.assert_array_equal(out, numpy_vignette(frame, strength, radius))


@pytest.mark.parametrize("progress", [0.0, 0.25, 0.5, 1.0])
def test_crossfade_transition_matches_numpy(examples: PluginRegistry, progress: float) -> None:
    a, b = random_frame(60, 80, seed=1), random_frame(60, 80, seed=2)
    out = examples.apply_transition("crossfade", a, b, progress)
    np.testing.assert_array_equal(out, numpy_crossfade(a, b, progress))


def test_result_goes_into_a_caller_buffer(examples: PluginRegistry) -> None:
    frame = random_frame(30, 40)
    out = np.zeros_like(frame)
    returned = examples.apply_effect("invert", frame, 0.0, out=out)
    assert returned is out
    np.testing.assert_array_equal(out, numpy_invert(frame))


def test_frame_size_can_change_between_calls(examples: PluginRegistry) -> None:
    bound = examples.bind("blur", {"radius": 2})
    for shape in [(20, 30), (120, 160), (10, 10), (121, 161)]:
        frame = random_frame(*shape)
        np.testing.assert_array_equal(bound.effect(frame, 0.0), numpy_box_blur(frame, 2))


def test_non_contiguous_frames_are_accepted(examples: PluginRegistry) -> None:
    big = random_frame(50, 80)
    view = big[5:45, 10:70]  # rows with padding, like a cropped decoder frame
    np.testing.assert_array_equal(examples.apply_effect("invert", view, 0.0), numpy_invert(view))


def test_stats_count_calls_and_fuel(examples: PluginRegistry) -> None:
    frame = random_frame(20, 20)
    for _ in range(3):
        examples.apply_effect("invert", frame, 0.0)
    (stats,) = examples.stats("invert")
    # The install's ABI check is not a frame call, so only the three frames count.
    assert stats.calls == 3
    assert stats.faults == 0
    assert stats.fuel_used > 0
    assert stats.peak_memory_bytes >= 20 * 20 * 4


def test_view_result_is_read_only_and_valid_until_the_next_call(examples: PluginRegistry) -> None:
    bound = examples.bind("invert", {})
    first = random_frame(12, 16, seed=1)
    view = bound.effect_view(first, 0.0)
    assert not view.flags.writeable
    np.testing.assert_array_equal(view, numpy_invert(first))
    kept = view.copy()
    bound.effect_view(random_frame(12, 16, seed=2), 0.0)
    assert not np.array_equal(view, kept)  # the documented contract: the next call reuses the buffer


def test_a_view_survives_its_instance_being_dropped_after_a_fault(registry: PluginRegistry) -> None:
    # Passes frames through untouched at t <= 0.5 and traps after, which drops the thread's instance.
    body = "(if (f64.gt (local.get $t) (f64.const 0.5)) (then unreachable)) (i32.const 0)"
    registry.install(manifest("late-trap"), effect_wat(body).encode())
    bound = registry.bind("late-trap", {})
    frame = random_frame(8, 8)
    view = bound.effect_view(frame, 0.0)
    with pytest.raises(PluginFault):
        bound.effect(frame, 1.0)
    gc.collect()
    np.testing.assert_array_equal(view, frame)  # still readable: the view keeps its memory alive
    np.testing.assert_array_equal(bound.effect(frame, 0.0), frame)  # and a fresh instance serves
