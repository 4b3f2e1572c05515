"""Compiler WASM plugins: per-frame cost at 1280x720 RGBA of the `invert` and `blur` example plugins
against the same operation in numpy and the native FFmpeg filter (negate; avgblur, the box blur, and
gblur) through a PyAV filter graph, all measured in this run; plus the host's overhead per call.

Run: `.venv/bin/python bench/plugins_frame.py` (or `make bench`).
Targets: plugin >= 0.5x numpy speed; host overhead per call (entry, fuel, epoch, view) < 50 us.
Every variant includes getting the frame in and the result out as a numpy array (the plugin copies
into and out of its linear memory; the FFmpeg path converts ndarray <-> AVFrame).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import av.filter
import numpy as np
import wasmtime
from tstudio_compiler.plugins import PluginRegistry

EXAMPLES = Path(__file__).resolve().parent.parent / "plugins" / "examples"
W, H = 1280, 720
ROUNDS = 30
RADIUS = 4


def interleaved(fns: list[Callable[[], object]], rounds: int) -> list[float]:
    """Median seconds per call of each fn, alternating them call by call so that load from other
    processes on a shared machine falls on every variant alike."""
    for fn in fns:
        fn()  # warm-up: instances, allocations, filter graph init
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for index, fn in enumerate(fns):
            started = time.perf_counter()
            fn()
            times[index].append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def ffmpeg_filter(name: str, args: str = "") -> Callable[[np.ndarray], np.ndarray]:
    graph = av.filter.Graph()
    src = graph.add_buffer(width=W, height=H, format="rgba", time_base=Fraction(1, 30))
    filt = graph.add(name, args) if args else graph.add(name)
    sink = graph.add("buffersink")
    src.link_to(filt)
    filt.link_to(sink)
    graph.configure()
    pts = iter(range(1 << 30))

    def run(rgba: np.ndarray) -> np.ndarray:
        frame = av.VideoFrame.from_ndarray(rgba, format="rgba")
        frame.pts = next(pts)
        graph.push(frame)
        return graph.pull().to_ndarray()

    return run


def numpy_invert(rgba: np.ndarray, out: np.ndarray) -> np.ndarray:
    # The fastest numpy form: one xor over 32-bit pixels keeps alpha (little-endian RGBA).
    np.bitwise_xor(rgba.view(np.uint32), np.uint32(0x00FFFFFF), out=out.view(np.uint32))
    return out


def numpy_invert_slices(rgba: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.subtract(255, rgba[..., :3], out=out[..., :3])
    out[..., 3] = rgba[..., 3]
    return out


def numpy_box_blur(rgba: np.ndarray, r: int) -> np.ndarray:
    window = 2 * r + 1
    out = rgba.astype(np.int32)
    for axis in (1, 0):
        pad = [(0, 0)] * 3
        pad[axis] = (r + 1, r)
        summed = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis, dtype=np.int32)
        n = out.shape[axis]
        upper = summed[:, window : window + n] if axis == 1 else summed[window : window + n]
        lower = summed[:, :n] if axis == 1 else summed[:n]
        out = (upper - lower + r) // window
    return out.astype(np.uint8)


def plain_call_overhead(registry: PluginRegistry) -> float:
    """Baseline for the host overhead: wasmtime-py's own `Func.__call__` of a no-op export."""
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, '(module (func (export "f") (param i32) (result i32) (local.get 0)))')
    store = wasmtime.Store(engine)
    func = wasmtime.Instance(store, module, []).exports(store)["f"]
    assert isinstance(func, wasmtime.Func)
    (seconds,) = interleaved([lambda: func(store, 1)], 2000)
    return seconds


def row(label: str, seconds: float, baseline: float, baseline_name: str) -> None:
    print(f"  {label:<50} {seconds * 1e3:8.2f} ms/frame   {baseline / seconds:6.2f}x {baseline_name} speed")


def main() -> None:
    registry = PluginRegistry()
    try:
        for name in ("invert", "blur"):
            registry.load_dir(EXAMPLES / name)
        frame = np.random.default_rng(0).integers(0, 256, (H, W, 4), dtype=np.uint8)
        out = np.empty_like(frame)
        invert = registry.bind("invert", {})
        blur = registry.bind("blur", {"radius": RADIUS})

        print(f"{W}x{H} RGBA, median of {ROUNDS} interleaved rounds")
        negate = ffmpeg_filter("negate")
        assert np.array_equal(invert.effect(frame, 0.0, out), negate(frame))
        p, pv, n, nn, f = interleaved(
            [
                lambda: invert.effect(frame, 0.0, out),
                lambda: invert.effect_view(frame, 0.0),
                lambda: numpy_invert(frame, out),
                lambda: numpy_invert_slices(frame, out),
                lambda: negate(frame),
            ],
            ROUNDS,
        )
        print("invert")
        row("plugin invert (WAT, SIMD), copy out", p, n, "numpy")
        row("plugin invert, result as a view", pv, n, "numpy")
        row("numpy xor over uint32 pixels (best form)", n, n, "numpy")
        row("numpy 255 - rgb slices, alpha copied", nn, n, "numpy")
        row("FFmpeg negate (PyAV filter graph)", f, n, "numpy")
        print(f"  plugin vs FFmpeg negate: {f / p:.2f}x; plugin vs numpy slices: {nn / p:.2f}x")

        avgblur = ffmpeg_filter("avgblur", f"sizeX={RADIUS}")
        gblur = ffmpeg_filter("gblur", "sigma=2.6")  # ~ the same spread as a radius-4 box
        assert np.array_equal(blur.effect(frame, 0.0, out), numpy_box_blur(frame, RADIUS))
        p, pv, n, a, g = interleaved(
            [
                lambda: blur.effect(frame, 0.0, out),
                lambda: blur.effect_view(frame, 0.0),
                lambda: numpy_box_blur(frame, RADIUS),
                lambda: avgblur(frame),
                lambda: gblur(frame),
            ],
            ROUNDS,
        )
        print(f"blur (box, radius {RADIUS})")
        row("plugin blur (C, zig cc -O2 -msimd128), copy out", p, n, "numpy")
        row("plugin blur, result as a view", pv, n, "numpy")
        row("numpy cumsum box blur", n, n, "numpy")
        row("FFmpeg avgblur (box)", a, n, "numpy")
        row("FFmpeg gblur sigma=2.6", g, n, "numpy")
        print(f"  plugin vs FFmpeg avgblur: {a / p:.2f}x, vs gblur: {g / p:.2f}x")

        tiny = np.zeros((1, 4, 4), np.uint8)
        tiny_out = np.empty_like(tiny)
        (overhead,) = interleaved([lambda: invert.effect(tiny, 0.0, tiny_out)], 2000)
        plain = plain_call_overhead(registry)
        print("host overhead per call (1x4 frame: entry, fuel, epoch deadline, memory view, copies)")
        print(f"  plugin call {overhead * 1e6:8.1f} us   target < 50 us")
        print(
            f"  wasmtime-py Func.__call__ of a no-op {plain * 1e6:8.1f} us (baseline; {plain / overhead:.2f}x ours)"
        )
        stats = {s.plugin_id: s for s in registry.stats()}
        for name in ("invert", "blur"):
            s = stats[name]
            print(
                f"  {name}: {s.calls} calls, {s.fuel_used / max(s.calls, 1) / (W * H):.1f} fuel/pixel on average"
            )
    finally:
        registry.close()


if __name__ == "__main__":
    main()
