from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from svckit.errors import DataLoss, FailedPrecondition, InvalidArgument
from tstudio_compiler.scale.adapters.pattern_renderer import encode_pattern_segment
from tstudio_compiler.scale.adapters.segment_join import join_segments


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="yuv420p") for frame in container.decode(video=0)]


def segments(tmp_path: Path, suffix: str, frames: tuple[int, ...] = (20, 25, 30), **extra: Any) -> list[Path]:
    return [
        encode_pattern_segment(
            tmp_path / f"seg{i}{suffix}", {"frames": n, "color": [i * 70, 20, 200], **extra}
        )
        for i, n in enumerate(frames)
    ]


@pytest.mark.parametrize(("suffix", "out_suffix"), [(".mp4", ".mp4"), (".ts", ".ts"), (".ts", ".mp4")])
def test_joined_frames_equal_the_segments_frames(tmp_path: Path, suffix: str, out_suffix: str) -> None:
    parts = segments(tmp_path, suffix)
    result = join_segments(parts, tmp_path / f"out{out_suffix}")
    expected = [frame for part in parts for frame in decoded(part)]
    got = decoded(tmp_path / f"out{out_suffix}")
    assert result.frames == len(expected) == len(got) == 75
    assert result.duration_seconds == pytest.approx(2.5)
    # Copied packets decode to exactly the same pictures: nothing was re-encoded.
    assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))
    with av.open(str(tmp_path / f"out{out_suffix}")) as container:
        times = [float(frame.time) for frame in container.decode(video=0)]
    assert times == pytest.approx([i / 30 for i in range(75)], abs=1e-3)


def test_timeline_audio_is_muxed_beside_the_joined_video(tmp_path: Path, tone_file: Path) -> None:
    parts = segments(tmp_path, ".mp4", frames=(30, 30))
    result = join_segments(parts, tmp_path / "out.mp4", tone_file)
    assert result.audio
    with av.open(str(tmp_path / "out.mp4")) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.rate == 48000
        assert float(audio.duration * audio.time_base) == pytest.approx(2.0, abs=0.05)
        assert video.frames == 60
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples == pytest.approx(96000, abs=2048)


def test_segments_with_different_encoder_settings_are_refused(tmp_path: Path) -> None:
    parts = [
        *segments(tmp_path, ".mp4", frames=(10,)),
        encode_pattern_segment(tmp_path / "big.mp4", {"frames": 10, "width": 320, "height": 240}),
    ]
    with pytest.raises(FailedPrecondition, match="segment 1 differs"):
        join_segments(parts, tmp_path / "out.mp4")
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir()), "partial output left behind"
    assert not (tmp_path / "out.mp4").exists()


def test_a_corrupt_segment_is_data_loss_and_leaves_no_output(tmp_path: Path) -> None:
    parts = segments(tmp_path, ".mp4", frames=(10, 10))
    parts[1].write_bytes(b"\x00" * 2000)
    with pytest.raises(DataLoss, match="segment 1"):
        join_segments(parts, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seg0.mp4", "seg1.mp4"]


def test_nothing_to_join_and_unknown_containers_are_invalid(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        join_segments([], tmp_path / "out.mp4")
    with pytest.raises(InvalidArgument):
        join_segments(segments(tmp_path, ".mp4", frames=(5,)), tmp_path / "out.xyz")


def encode_with_b_frames(path: Path, frames: int, base: int) -> Path:
    """A segment as a real x264 preset makes it: B-frames, so dts runs behind pts."""
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream("libx264", rate=30, options={"preset": "veryfast", "bf": "3"})
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.codec_context.thread_count = 1
        image = np.empty((120, 160, 3), np.uint8)
        for index in range(frames):
            image[:] = ((base + index * 8) % 256, (index * 3) % 256, 100)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, 30)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_segments_with_b_frames_join_with_every_frame_in_place(tmp_path: Path) -> None:
    parts = [encode_with_b_frames(tmp_path / f"b{i}.mp4", 20 + i * 7, i * 50) for i in range(3)]
    with av.open(str(parts[0])) as container:
        assert any(
            p.dts is not None and p.pts is not None and p.dts < p.pts for p in container.demux(video=0)
        )
    result = join_segments(parts, tmp_path / "out.mp4")
    expected = [frame for part in parts for frame in decoded(part)]
    got = decoded(tmp_path / "out.mp4")
    assert result.frames == len(got) == len(expected) == 81
    assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))
    with av.open(str(tmp_path / "out.mp4")) as container:
        times = [float(frame.time) for frame in container.decode(video=0)]
    assert times == pytest.approx([i / 30 for i in range(81)], abs=1e-3)
