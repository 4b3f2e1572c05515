"""Every container and codec the contract lists renders to a file that decodes back."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, project
from .test_render import render

CASES = [
    ("mp4", "h264", "aac", "h264", "aac"),
    ("mkv", "hevc", "opus", "hevc", "opus"),
    ("webm", "vp9", "opus", "vp9", "opus"),
    ("mov", "prores", "pcm", "prores", "pcm_s16le"),
    ("mp4", "av1", "mp3", "libdav1d", "mp3float"),
    ("gif", "gif", "none", "gif", None),
]


@pytest.mark.parametrize(("container", "video", "audio", "decoded_video", "decoded_audio"), CASES)
async def test_output_formats_render_and_decode(
    compiler: Running,
    media: Media,
    tmp_path: Path,
    container: str,
    video: str,
    audio: str,
    decoded_video: str,
    decoded_audio: str | None,
) -> None:
    out = tmp_path / f"out.{container}"
    edit = {
        "settings": {"width": 64, "height": 48, "fps": 10},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "c", "source": {"path": str(media.red_green)}, "start": 0, "sourceOut": 1}],
            }
        ],
        "output": {"path": str(out), "container": container, "videoCodec": video, "audioCodec": audio},
    }
    job = await render(compiler, project(edit))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    with av.open(str(out)) as result:
        assert result.streams.video[0].codec_context.name == decoded_video
        assert sum(1 for _ in result.decode(video=0)) == 10
    with av.open(str(out)) as result:
        codecs = [s.codec_context.name for s in result.streams.audio]
        assert codecs == ([decoded_audio] if decoded_audio else [])
