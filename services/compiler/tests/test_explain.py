"""ExplainRender's ffmpeg command, run with a real ffmpeg binary, gives the picture we render."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, decode_rgb, project, psnr
from .test_render import render


def edit(media: Media, output: Path) -> dict[str, Any]:
    return {
        "name": "psnr",
        "settings": {"width": 160, "height": 120, "fps": 30, "backgroundColor": "#102030"},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {
                        "id": "a",
                        "source": {"path": "red_green.mp4"},
                        "start": 0,
                        "sourceIn": 0.2,
                        "sourceOut": 1.6,
                        "effects": [{"type": "brightness", "params": {"value": 0.1}}],
                        "fadeIn": 0.3,
                    },
                    {
                        "id": "b",
                        "source": {"path": "blue_yellow.mp4"},
                        "start": 1.0,
                        "sourceIn": 0.5,
                        "sourceOut": 2,
                        "speed": 1.5,
                        "transition": {"type": "circleopen", "duration": 0.4},
                        "effects": [{"type": "sepia", "params": {"intensity": 0.6}}],
                    },
                ],
            },
            {
                "id": "o",
                "kind": "TRACK_KIND_OVERLAY",
                "clips": [
                    {
                        "id": "logo",
                        "source": {"path": "logo.png"},
                        "start": 0.3,
                        "duration": 1.5,
                        "opacity": 0.7,
                        "transform": {"x": 0.8, "y": 0.2, "scale": 0.25},
                    },
                    {
                        "id": "title",
                        "source": {"text": {"text": "Hi", "fontSize": 24, "color": "#ffff00"}},
                        "start": 0.5,
                        "duration": 1.0,
                        "transform": {"x": 0.5, "y": 0.7},
                    },
                    {
                        "id": "shape",
                        "source": {"color": {"color": "#00ffff"}},
                        "start": 1.2,
                        "duration": 0.5,
                        "transform": {"x": 0.2, "y": 0.8, "scale": 0.2, "rotation": 30},
                    },
                ],
            },
            {
                "id": "a",
                "kind": "TRACK_KIND_AUDIO",
                "clips": [
                    {
                        "id": "music",
                        "source": {"path": "tone.wav"},
                        "start": 0.2,
                        "volume": 0.5,
                        "fadeIn": 0.5,
                    },
                ],
            },
        ],
        "output": {"path": str(output), "preset": "veryfast", "crf": 12},
    }


async def test_explained_ffmpeg_command_renders_the_same_picture(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "ffmpeg.mp4"
    job = await render(compiler, project(edit(media, ours), media.root))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error

    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(edit(media, theirs), media.root))
    )
    assert explained.duration_seconds == job.result.duration_seconds
    assert len(explained.segments) >= 5
    assert any("xfade=transition=circleopen" in s.filter_graph for s in explained.segments)
    assert "ffmpeg" in explained.ffmpeg_command and "-filter_complex" in explained.ffmpeg_args
    args = [imageio_ffmpeg.get_ffmpeg_exe(), *explained.ffmpeg_args[1:]]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-3000:]

    our_frames, their_frames = decode_rgb(ours), decode_rgb(theirs)
    assert len(our_frames) == len(their_frames) == job.result.frames
    for index in range(0, len(our_frames), 2):
        value = psnr(our_frames[index], their_frames[index])
        assert value >= 35, f"frame {index}: PSNR {value:.1f} dB"


async def test_a_long_stretch_is_cut_into_equal_segments_of_at_most_ten_seconds(compiler: Running) -> None:
    long_clip = {
        "settings": {"width": 64, "height": 48, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "a", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 25},
                    {"id": "b", "source": {"color": {"color": "#0000ff"}}, "start": 25, "duration": 4},
                ],
            }
        ],
    }
    reply = await compiler.stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=project(long_clip)))
    spans = [(round(s.start, 3), round(s.end, 3)) for s in reply.segments]
    assert spans == [(0, 8.333), (8.333, 16.667), (16.667, 25), (25, 29)]
