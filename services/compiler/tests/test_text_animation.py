"""Text animations (animateIn/animateOut): every type moves frame to frame, ends on the static text,
composes with keyframes, and the ffmpeg command reproduces it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.domain import text_motion
from tstudio_compiler.domain.text_motion import TextAnimation

from .conftest import Running, decode_rgb, project, psnr
from .test_render import render

W, H = 320, 120


def edit(text: dict[str, Any], **clip: Any) -> dict[str, Any]:
    return {
        "settings": {"width": W, "height": H, "fps": 30},
        "tracks": [
            {
                "id": "t",
                "kind": "TRACK_KIND_TEXT",
                "clips": [
                    {
                        "id": "title",
                        "source": {"text": {"text": "Hello motion", "fontSize": 28, **text}},
                        "duration": 1.5,
                        **clip,
                    }
                ],
            }
        ],
    }


async def frame(compiler: Running, data: dict[str, Any], t: float) -> np.ndarray:
    request = compiler_pb2.RenderFrameRequest(
        project=project(data), time=t, format=compiler_pb2.IMAGE_FORMAT_PNG
    )
    reply = await compiler.stub.RenderFrame(request)
    return np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB")).astype(int)


@pytest.mark.parametrize("kind", text_motion.TYPES)
def test_every_type_starts_away_from_rest_and_comes_to_rest(kind: str) -> None:
    anim = TextAnimation(kind, 0.6)
    first, _ = text_motion.states(anim, None, 0.0, 2.0, 5, 0)
    assert first is not None and any(s != text_motion.REST for s in first)
    assert text_motion.states(anim, None, 0.6, 2.0, 5, 0) == (None, "")
    leaving, _ = text_motion.states(None, anim, 1.99, 2.0, 0, 5)
    assert leaving is not None and any(s != text_motion.REST for s in leaving)


def test_bad_text_animations_are_named_by_field() -> None:
    found = dict(text_motion.check(TextAnimation("spin", 0, "letter", "diagonal"), "p"))
    assert set(found) == {"p.type", "p.duration", "p.by", "p.direction"}


@pytest.mark.parametrize("kind", text_motion.TYPES)
async def test_each_animation_changes_frame_to_frame_and_ends_on_the_static_text(
    compiler: Running, kind: str
) -> None:
    animated = edit({"animateIn": {"type": kind, "duration": 0.6}})
    pictures = [await frame(compiler, animated, t) for t in (0.1, 0.2, 0.3, 0.4)]
    assert len({p.tobytes() for p in pictures}) >= 2, "the animation does not move"
    static = await frame(compiler, edit({}), 0.8)
    assert np.abs(await frame(compiler, animated, 0.8) - static).max() <= 2


async def test_animate_out_by_word_leaves_by_the_clip_end(compiler: Running) -> None:
    data = edit({"animateOut": {"type": "fade", "duration": 0.5, "by": "word"}})
    static = await frame(compiler, edit({}), 0.5)
    assert np.abs(await frame(compiler, data, 0.5) - static).max() <= 2
    late = await frame(compiler, data, 1.45)
    assert late.sum() < static.sum() * 0.2


async def test_text_animation_composes_with_keyframes(compiler: Running) -> None:
    moving = {"property": "transform.x", "keyframes": [{"time": 0, "value": 0.3}, {"time": 1, "value": 0.7}]}
    data = edit({"animateIn": {"type": "slide", "duration": 0.4, "direction": "up"}}, animations=[moving])
    picture = await frame(compiler, data, 1.0)
    xs = np.nonzero(picture.sum(axis=2) > 300)[1]
    assert abs((xs.min() + xs.max()) / 2 - 0.7 * W) <= 3


async def test_the_ffmpeg_command_plays_the_same_text_animation(compiler: Running, tmp_path: Path) -> None:
    def data(output: Path) -> dict[str, Any]:
        d = edit(
            {
                "animateIn": {"type": "typewriter", "duration": 0.6},
                "animateOut": {"type": "slide", "duration": 0.4},
            },
            start=0.2,
        )
        d["output"] = {"path": str(output), "audioCodec": "none", "crf": 12, "preset": "veryfast"}
        return d

    ours, theirs = tmp_path / "ours.mp4", tmp_path / "ffmpeg.mp4"
    job = await render(compiler, project(data(ours)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(data(theirs)))
    )
    process = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(),
        *explained.ffmpeg_args[1:],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()[-3000:]
    a, b = decode_rgb(ours), decode_rgb(theirs)
    assert len(a) == len(b) == job.result.frames
    assert len({f.tobytes() for f in a[6:24]}) > 5  # the typewriter types
    for index in range(len(a)):
        assert psnr(a[index], b[index]) >= 35, index
