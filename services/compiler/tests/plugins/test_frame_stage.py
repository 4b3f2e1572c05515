"""Plugins on real decoded video: the PyAV stage gives what FFmpeg's own filter gives, and a clip
encoded through plugin effects and a plugin transition decodes to the expected colours."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import av.filter
import numpy as np
from svckit.testing import make_video
from tstudio_compiler.plugins import PluginRegistry
from tstudio_compiler.plugins.frame_stage import PluginEffectStage, apply_transition


def decoded(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def negate_graph(width: int, height: int) -> av.filter.Graph:
    graph = av.filter.Graph()
    src = graph.add_buffer(width=width, height=height, format="rgba", time_base=Fraction(1, 30))
    negate = graph.add("negate")
    sink = graph.add("buffersink")
    src.link_to(negate)
    negate.link_to(sink)
    graph.configure()
    return graph


def test_invert_stage_matches_ffmpeg_negate_on_decoded_frames(
    examples: PluginRegistry, tmp_path: Path
) -> None:
    frames = decoded(make_video(tmp_path / "in.mp4", seconds=1.0, audio_hz=None))
    stage = PluginEffectStage([examples.bind("invert", {})])
    graph = negate_graph(160, 120)
    for index, frame in enumerate(frames[:10]):
        ours = stage.apply(frame, index / 30)
        assert (ours.pts, ours.time_base) == (frame.pts, frame.time_base)
        rgba = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgba"), format="rgba")
        rgba.pts = index
        graph.push(rgba)
        np.testing.assert_array_equal(ours.to_ndarray(), graph.pull().to_ndarray())


def test_clip_with_plugin_effects_and_transition_encodes(examples: PluginRegistry, tmp_path: Path) -> None:
    # Two 1 s clips: red and blue. Effects on the first (invert then blur) make it cyan; a crossfade
    # plugin joins it to the second over the whole second.
    red = decoded(make_video(tmp_path / "red.mp4", seconds=1.0, colors=[(255, 0, 0)], audio_hz=None))
    blue = decoded(make_video(tmp_path / "blue.mp4", seconds=1.0, colors=[(0, 0, 255)], audio_hz=None))
    stage = PluginEffectStage([examples.bind("invert", {}), examples.bind("blur", {"radius": 2})])
    crossfade = examples.bind("crossfade", {})
    out_path = tmp_path / "out.mp4"
    with av.open(str(out_path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for index, (a, b) in enumerate(zip(red, blue, strict=False)):
            frame = apply_transition(crossfade, stage.apply(a, index / 30), b, index / (len(red) - 1))
            frame.pts, frame.time_base = index, Fraction(1, 30)
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    result = [f.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0) for f in decoded(out_path)]
    assert len(result) == len(red)
    np.testing.assert_allclose(result[0], (0, 255, 255), atol=12)  # inverted red: cyan
    np.testing.assert_allclose(result[-1], (0, 0, 255), atol=12)  # all blue at the end
    np.testing.assert_allclose(result[len(result) // 2], (0, 128, 255), atol=16)  # half way
