"""svckit.source_description on files written by Debian's ffmpeg CLI (the real-world corpus)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from svckit.errors import InvalidArgument, NotFound
from svckit.real_world_corpus import KNOWN, bar_time, flash_on, grey_levels, is_upright
from svckit.source_description import describe_source, display_size
from svckit.testing import real_world_corpus

# kind -> the fields the description must have
EXPECTED: dict[str, dict[str, object]] = {
    "sdr_h264": dict(
        has_video=True, has_audio=True, rotation=0, color_range="tv", fps=25.0, field_order="progressive"
    ),
    "phone_rotate_90": dict(rotation=90, width=320, height=240, display_width=240, display_height=320),
    "phone_rotate_180": dict(rotation=180, display_width=320, display_height=240),
    "phone_rotate_270": dict(rotation=270, display_width=240, display_height=320),
    "jpeg_exif_3": dict(rotation=180, color_range="pc", still=True, fps=0.0),
    "jpeg_exif_6": dict(rotation=90, display_width=240, display_height=320, color_range="pc"),
    "jpeg_exif_8": dict(rotation=270, display_width=240, display_height=320, mirrored=False),
    "jpeg_exif_2": dict(rotation=0, mirrored=True, display_width=320),
    "jpeg_exif_5": dict(rotation=90, mirrored=True, display_width=240, display_height=320),
    "anamorphic_sar43": dict(width=240, sample_aspect=Fraction(4, 3), display_width=320, display_height=240),
    "fullrange_h264": dict(color_range="pc", fps=30.0),
    "mjpeg": dict(color_range="pc", video_codec="mjpeg"),
    "vp9_alpha": dict(has_alpha=True, alpha_decoder="libvpx-vp9", has_audio=False),
    "png_alpha": dict(has_alpha=True, still=True, color_range="pc"),
    "webp_alpha": dict(has_alpha=True, still=True),
    "prores4444_alpha": dict(has_alpha=True, alpha_decoder=None, video_codec="prores"),
    "mp3_cover": dict(has_video=False, has_audio=True, attached_picture=True, display_width=240),
    "mpegts": dict(variable_frame_rate=False, fps=25.0),
    "vfr_mp4": dict(variable_frame_rate=True),
    "vfr_mkv": dict(variable_frame_rate=True),
    "interlaced_tff": dict(field_order="tt"),
    "hdr10_pq_hevc": dict(
        hdr="pq", bit_depth=10, color_transfer="smpte2084", color_primaries="bt2020", color_matrix="bt2020nc"
    ),
    "hlg_hevc": dict(hdr="hlg", bit_depth=10, color_transfer="arib-std-b67"),
    "loud_51": dict(has_video=False, audio_channels=6, audio_layout="5.1"),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_description_of_real_world_file(kind: str) -> None:
    description = describe_source(real_world_corpus(kind))
    got = {name: getattr(description, name) for name in EXPECTED[kind]}
    assert got == EXPECTED[kind]


def test_mpegts_times_are_on_the_container_clock() -> None:
    description = describe_source(real_world_corpus("mpegts"))
    assert description.start_time > 1.0  # MPEG-TS starts at ~1.4 s
    assert description.video_start >= description.start_time


def test_late_audio_starts_half_a_second_after_the_video() -> None:
    description = describe_source(real_world_corpus("late_audio"))
    # AAC priming puts the stream start 1024 samples (21 ms) before the first heard sample.
    assert description.offset_audio == pytest.approx(0.5, abs=0.03)
    assert description.offset_video == 0


def test_vfr_fps_is_real_not_the_track_timescale() -> None:
    description = describe_source(real_world_corpus("vfr_mp4"))
    assert 15 <= description.fps <= 30


def test_effective_matrix_by_size_when_untagged() -> None:
    description = describe_source(real_world_corpus("sdr_h264"))
    assert description.color_matrix == "unknown"
    assert description.effective_matrix == "smpte170m"


def test_display_size_applies_sar_then_rotation() -> None:
    assert display_size(1440, 1080, Fraction(4, 3), 0) == (1920, 1080)
    assert display_size(1920, 1080, Fraction(1), 90) == (1080, 1920)
    assert display_size(720, 576, Fraction(16, 15), 270) == (576, 768)


def test_the_corpus_draws_the_known_picture() -> None:
    av = pytest.importorskip("av")
    with av.open(str(real_world_corpus("sdr_h264"))) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= KNOWN.flash_time - 1e-3:
                break
    rgb = frame.to_ndarray(format="rgb24")
    assert is_upright(rgb)
    assert all(abs(g - want) <= 3 for g, want in zip(grey_levels(rgb), KNOWN.greys, strict=True))
    assert bar_time(rgb) == pytest.approx(KNOWN.flash_time, abs=0.02)
    assert flash_on(rgb)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("hdr10_pq_truncated", "NOT_MEDIA"),
        ("mp3_cover_only", "NOT_MEDIA"),
        ("vp9_alpha_zero_frames", "NOT_MEDIA"),
    ],
)
def test_bad_files_are_refused_with_the_field_path(kind: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        describe_source(real_world_corpus(kind), field="sources[3].path")
    assert caught.value.reason == reason
    assert [v.field for v in caught.value.details.field_violations] == ["sources[3].path"]


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        describe_source(tmp_path / "nope.mp4")


def test_text_file_is_not_media(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("hello, not a video")
    with pytest.raises(InvalidArgument) as caught:
        describe_source(fake)
    assert caught.value.reason == "NOT_MEDIA"


@pytest.mark.parametrize(
    "kind",
    [
        "sdr_h264",
        "phone_rotate_90",
        "phone_rotate_270",
        "fullrange_h264",
        "anamorphic_sar43",
        "interlaced_tff",
        "hdr10_pq_hevc",
        "hlg_hevc",
        "prores4444_alpha",
        "vfr_mp4",
        "late_audio",
        "edit_list_cut",
    ],
)
def test_mp4_headers_describe_what_the_first_frame_says(kind: str) -> None:
    av = pytest.importorskip("av")
    from svckit.source_description import describe_container

    path = real_world_corpus(kind)
    described = []
    for from_headers in (False, True):
        with av.open(str(path)) as container:
            described.append(describe_container(container, path, from_headers=from_headers))
    assert described[0] == described[1]


def test_bad_exif_orientations_are_ignored(tmp_path: Path) -> None:
    from svckit.exif_orientation import jpeg_orientation

    data = real_world_corpus("jpeg_exif_6").read_bytes()
    at = data.find(b"\x01\x12")  # the Orientation entry (big-endian TIFF)
    for value in (0, 9, 0xFFFF):
        bad = bytearray(data)
        bad[at + 8 : at + 10] = value.to_bytes(2, "big")
        path = tmp_path / f"orientation-{value}.jpg"
        path.write_bytes(bytes(bad))
        assert jpeg_orientation(path) is None
        described = describe_source(path)
        assert (described.rotation, described.mirrored) == (0, False)
    cut = tmp_path / "cut-in-exif.jpg"
    cut.write_bytes(data[: at + 4])
    assert jpeg_orientation(cut) is None
    assert jpeg_orientation(tmp_path / "missing.jpg") is None


def test_an_audio_file_with_a_cover_over_the_pixel_budget_is_still_audio() -> None:
    described = describe_source(real_world_corpus("mp3_cover"), max_pixels=100 * 100)  # the cover is 240x240
    assert (described.has_audio, described.has_video, described.attached_picture) == (True, False, True)
    assert described.video_stream_index == -1 and described.audio_channels == 2
