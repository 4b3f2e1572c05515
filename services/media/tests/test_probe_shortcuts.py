"""The probe's shortcuts (PNG header, MP4 track-header rotation, quick WAV open) give exactly
what the full FFmpeg probe gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from svckit.testing import make_video, make_wav
from tstudio_media.adapters.pyav_probe import PyAVProber

from .media_files import write_huge_png, write_rotated_video


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "1", "LA", "I;16"])
def test_png_header_probe_matches_ffmpeg(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "picture.png"
    Image.new(mode, (33, 17)).save(path)
    prober = PyAVProber()
    assert prober.probe(path) == prober.probe_with_ffmpeg(path)


def test_animated_png_is_left_to_ffmpeg(tmp_path: Path) -> None:
    path = tmp_path / "animated.png"
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    prober = PyAVProber()
    info = prober.probe(path)
    assert info.container == "apng"
    assert info == prober.probe_with_ffmpeg(path)


def test_huge_png_reports_its_declared_size_without_decoding(tmp_path: Path) -> None:
    info = PyAVProber().probe(write_huge_png(tmp_path / "huge.png"))
    assert (info.streams[0].width, info.streams[0].height) == (16000, 16000)


def test_rotation_and_quick_wav_match_ffmpeg(tmp_path: Path) -> None:
    prober = PyAVProber()
    for path in (
        write_rotated_video(tmp_path / "turned.mp4", 90),
        make_video(tmp_path / "plain.mp4", seconds=0.5),
        make_wav(tmp_path / "tone.wav", seconds=0.5),
    ):
        assert prober.probe(path) == prober.probe_with_ffmpeg(path), path
