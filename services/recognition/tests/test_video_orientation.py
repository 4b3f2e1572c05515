"""Recognition's video input is what a viewer sees: upright, square-pixel, in range (frames of
real-world-style files written by Debian's ffmpeg, svckit.real_world_corpus)."""

from __future__ import annotations

import grpc
import pytest
from svckit.real_world_corpus import KNOWN, bar_time, grey_levels, is_upright
from svckit.testing import real_world_corpus
from tstudio_recognition.adapters.video_reader import PyAvVideo
from tstudio_recognition.domain.video import Sampler


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        ("phone_rotate_90", (240, 320)),
        ("phone_rotate_180", (320, 240)),
        ("phone_rotate_270", (240, 320)),
        ("anamorphic_sar43", (320, 240)),
        ("fullrange_h264", (320, 240)),
    ],
)
def test_frames_given_to_models_are_upright_and_in_range(kind: str, size: tuple[int, int]) -> None:
    video = PyAvVideo(real_world_corpus(kind))
    assert (video.info.width, video.info.height) == size
    frames = list(video.frames(0.9, 1.1, Sampler(every_n_frames=1), size, thumbs=True))
    assert frames
    for frame in frames:
        assert frame.image is not None and frame.thumb is not None
        assert (frame.image.shape[1], frame.image.shape[0]) == size
        assert is_upright(frame.image) and is_upright(frame.thumb)
        assert all(abs(g - w) <= 3 for g, w in zip(grey_levels(frame.image), KNOWN.greys, strict=True))
        assert bar_time(frame.image) == pytest.approx(frame.time, abs=0.02)


def test_cover_art_is_not_a_video_to_analyse() -> None:
    with pytest.raises(Exception) as caught:
        PyAvVideo(real_world_corpus("mp3_cover"))
    assert getattr(caught.value, "reason", "") == "VIDEO_UNREADABLE"
    assert grpc.StatusCode.INVALID_ARGUMENT.name == caught.value.code.value  # type: ignore[attr-defined]
