"""Renders through gRPC: the issue's demo, pictures at the right frames, sound in sync."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
from tstudio.compiler.v1 import compiler_pb2
from tstudio_cli.demo_media import write_demo

from .conftest import FLASH_AT, Media, Running, decode_audio, decode_rgb, project


async def render(running: Running, proj) -> compiler_pb2.RenderJob:  # type: ignore[no-untyped-def]
    job = None
    async for reply in running.stub.Render(compiler_pb2.RenderRequest(project=proj)):
        job = reply.job
    assert job is not None
    return job


async def test_demo_project_renders_with_its_duration_size_fps_and_audio(
    compiler: Running, tmp_path: Path
) -> None:
    project_file = write_demo(tmp_path / "demo", width=320, height=180)
    proj = project(json.loads(project_file.read_text()), project_file.parent)

    job = await render(compiler, proj)

    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    output = Path(job.result.output_path)
    assert output == tmp_path / "demo" / "out" / "demo.mp4"
    with av.open(str(output)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.width, video.codec_context.height) == (1280, 720)
        assert video.average_rate == 30
        assert video.frames == 285  # 9.5 s
        assert audio.rate == 48000 and audio.channels == 2
        assert abs(container.duration / 1e6 - 9.5) < 0.05
    assert job.result.frames == 285
    assert job.result.video_encoder == "libx264"
    # AUTO found no hardware encoder here and says so.
    assert "no hardware encoder" in job.result.hardware_fallback_reason
    assert not list(output.parent.glob(".*.part"))


async def test_colour_sources_show_their_colour_at_the_expected_frames(
    compiler: Running, tmp_path: Path
) -> None:
    proj = project(
        {
            "settings": {"width": 160, "height": 120, "fps": 30},
            "tracks": [
                {
                    "id": "v",
                    "kind": "TRACK_KIND_VIDEO",
                    "clips": [
                        {"id": "red", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 1},
                        {"id": "blue", "source": {"color": {"color": "#0000ff"}}, "start": 1, "duration": 1},
                    ],
                },
                {
                    "id": "o",
                    "kind": "TRACK_KIND_OVERLAY",
                    "clips": [
                        {
                            "id": "green",
                            "source": {"color": {"color": "#00ff00"}},
                            "start": 0.5,
                            "duration": 0.5,
                            "transform": {"x": 0.25, "y": 0.25, "scale": 0.5},
                        },
                    ],
                },
            ],
            "output": {"path": str(tmp_path / "colours.mp4"), "audioCodec": "none"},
        }
    )
    job = await render(compiler, proj)
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error

    frames = decode_rgb(tmp_path / "colours.mp4")
    assert len(frames) == 60

    def colour(frame: np.ndarray, x: int = 120, y: int = 90) -> tuple[int, ...]:
        return tuple(int(v) for v in frame[y - 4 : y + 4, x - 4 : x + 4].reshape(-1, 3).mean(axis=0))

    for index in (0, 14, 29):
        assert np.allclose(colour(frames[index]), (255, 0, 0), atol=24), index
    for index in (30, 59):
        assert np.allclose(colour(frames[index]), (0, 0, 255), atol=24), index
    # The overlay covers the top-left quarter from frame 15 to 29 only.
    assert np.allclose(colour(frames[14], 40, 30), (255, 0, 0), atol=24)
    assert np.allclose(colour(frames[15], 40, 30), (0, 255, 0), atol=24)
    assert np.allclose(colour(frames[29], 40, 30), (0, 255, 0), atol=24)
    assert np.allclose(colour(frames[30], 40, 30), (0, 0, 255), atol=24)


async def test_flash_and_beep_stay_together_after_trim_speed_and_position(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    fps = 30
    # Source 0.5..3 s at 1.25x speed placed at 0.7 s: the flash (source 1.5 s) lands at 0.7 + 1.0/1.25 = 1.5 s.
    proj = project(
        {
            "settings": {"width": 160, "height": 120, "fps": fps},
            "tracks": [
                {
                    "id": "bg",
                    "kind": "TRACK_KIND_VIDEO",
                    "clips": [
                        {"id": "black", "source": {"color": {"color": "#000000"}}, "start": 0, "duration": 3},
                    ],
                },
                {
                    "id": "v",
                    "kind": "TRACK_KIND_OVERLAY",
                    "clips": [
                        {
                            "id": "flash",
                            "source": {"path": str(media.flash)},
                            "start": 0.7,
                            "sourceIn": 0.5,
                            "sourceOut": 3,
                            "speed": 1.25,
                        },
                    ],
                },
            ],
            "output": {"path": str(tmp_path / "sync.mp4")},
        }
    )
    job = await render(compiler, proj)
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error

    frames = decode_rgb(tmp_path / "sync.mp4")
    brightness = [float(f.mean()) for f in frames]
    flash_frame = int(np.argmax(brightness))
    assert brightness[flash_frame] > 200
    samples, rate = decode_audio(tmp_path / "sync.mp4")
    beep_at = int(np.argmax(np.abs(samples) > 0.2)) / rate
    expected = 0.7 + (FLASH_AT - 0.5) / 1.25
    assert abs(flash_frame / fps - expected) <= 1 / fps
    assert abs(beep_at - flash_frame / fps) <= 1 / fps
