"""Settings fail loudly on bad values; variable frame rate is detected."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from svckit.settings import SettingsError, load_settings
from tstudio.media.v1 import media_pb2
from tstudio_media.settings import MediaSettings

from .conftest import RunningMedia


def test_settings_read_media_variables() -> None:
    settings = load_settings(
        MediaSettings,
        "MEDIA",
        {"MEDIA_ALLOWED_ROOTS": "/a,/b", "MEDIA_HTTP_PORT": "0", "MEDIA_CORS_ORIGINS": "https://x.example"},
    )
    assert settings.port == 50052
    assert settings.allowed_roots == (Path("/a"), Path("/b"))
    assert settings.http_port == 0
    assert settings.cors_origins == ("https://x.example",)


@pytest.mark.parametrize(
    ("name", "value"),
    [("MEDIA_BATCH_CONCURRENCY", "0"), ("MEDIA_URL_SIGNING_KEY", "short"), ("MEDIA_HTTP_PORT", "70000")],
)
def test_bad_settings_stop_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(MediaSettings, "MEDIA", {name: value})


def write_vfr_video(path: Path) -> Path:
    """30 fps time base, but every third frame is missing: frames come at uneven 1/30 and 2/30 s steps."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 30)
        for pts in (p for p in range(90) if p % 3 != 2):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 30)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


async def test_variable_frame_rate_is_detected(service: RunningMedia, tmp_path: Path) -> None:
    path = write_vfr_video(tmp_path / "vfr.mp4")
    video = (await service.stub.Probe(media_pb2.ProbeRequest(path=str(path)), timeout=30)).info.streams[0]
    assert video.avg_fps == pytest.approx(20.0, rel=0.05)
    assert video.fps == pytest.approx(30.0, rel=0.05)
    assert video.variable_frame_rate
