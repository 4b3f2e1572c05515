"""Recognition's video input is what a viewer sees: upright, square-pixel, in range (frames of
real-world-style files written by Debian's ffmpeg, svckit.real_world_corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


async def test_a_sideways_phone_photo_is_detected_upright(recognition: Any, kit: Any, tmp_path: Path) -> None:
    import subprocess

    from svckit.real_world_corpus import add_exif_orientation, ffmpeg_cli
    from tstudio.recognition.v1 import recognition_pb2 as pb

    ffmpeg = ffmpeg_cli()
    if ffmpeg is None:
        pytest.skip("the ffmpeg CLI is not installed")
    upright = tmp_path / "astronaut.png"
    upright.write_bytes(kit.png_bytes(kit.astronaut()))
    # Stored turned 90 degrees counter-clockwise by ffmpeg, tagged "turn 90 clockwise to show" (EXIF 6).
    photo = tmp_path / "photo.jpg"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-i", str(upright), "-vf", "transpose=2", "-q:v", "2", str(photo)],
        check=True,
    )
    add_exif_orientation(photo, 6)
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=photo.read_bytes(), tasks=[pb.TASK_FACES])
    )
    assert (reply.width, reply.height) == (512, 512)
    assert len(reply.detections) == 1
    face = reply.detections[0].box
    found = (face.x, face.y, face.x + face.width, face.y + face.height)
    truth = tuple(v / 512 for v in kit.ASTRONAUT_FACE)
    assert all(abs(a - b) < 0.08 for a, b in zip(found, truth, strict=True)), (found, truth)


@pytest.mark.parametrize("kind", ["hdr10_pq_hevc", "hlg_hevc"])
def test_hdr_frames_are_tone_mapped_like_the_cli(kind: str) -> None:
    import io
    import subprocess

    import numpy as np
    from PIL import Image
    from svckit.real_world_corpus import ffmpeg_cli

    path = real_world_corpus(kind)
    video = PyAvVideo(path)
    frame = next(iter(video.frames(0.48, 0.5, Sampler(every_n_frames=1), (320, 240), thumbs=False)))
    recipe = (
        "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0:peak=10,"
        "zscale=t=bt709,format=gbrp"
    )
    source = [str(ffmpeg_cli()), "-v", "error", "-ss", f"{frame.time:.3f}", "-i", str(path)]
    done = subprocess.run(
        [*source, "-frames:v", "1", "-vf", recipe, "-f", "image2pipe", "-c:v", "png", "-"],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("this ffmpeg CLI cannot tone-map")
    cli = np.asarray(Image.open(io.BytesIO(done.stdout)).convert("RGB"))
    assert frame.image is not None
    ours, theirs = grey_levels(frame.image), grey_levels(cli)
    assert all(abs(a - b) <= 2 for a, b in zip(ours, theirs, strict=True)), (ours, theirs)
