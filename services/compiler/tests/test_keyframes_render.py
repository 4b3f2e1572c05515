"""Keyframed clips through gRPC: the pixels of Render and RenderFrame follow the eased curves."""

from __future__ import annotations

import asyncio
import io
import shutil
from pathlib import Path
from typing import Any

import grpc
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.domain import keyframes, speed_ramp
from tstudio_compiler.domain.keyframes import Animation, Keyframe

from .conftest import FLASH_AT, Media, Running, decode_audio, decode_rgb, project, psnr
from .test_plugin_rpcs import field_violations, render_error
from .test_render import render

W, H, FPS = 320, 240, 30


def square(tmp_path: Path, size: int = 40) -> str:
    path = tmp_path / "square.png"
    Image.new("RGBA", (size, size), (255, 255, 255, 255)).save(path)
    return path.name


def timeline(tmp_path: Path, animations: list[dict[str, Any]], **clip: Any) -> dict[str, Any]:
    return {
        "settings": {"width": W, "height": H, "fps": FPS},
        "tracks": [
            {
                "id": "o",
                "kind": "TRACK_KIND_OVERLAY",
                "clips": [
                    {
                        "id": "sq",
                        "source": {"path": square(tmp_path)},
                        "start": 0,
                        "duration": 1.5,
                        "transform": {"scale": 0.125},
                        "animations": animations,
                        **clip,
                    }
                ],
            }
        ],
        "output": {"path": str(tmp_path / "out.mp4"), "audioCodec": "none", "crf": 10},
    }


def anim(prop: str, *frames: tuple[float, float, str]) -> Animation:
    return Animation(prop, tuple(Keyframe(t, v, e) for t, v, e in frames))


def as_json(a: Animation) -> dict[str, Any]:
    return {
        "property": a.property,
        "keyframes": [{"time": k.time, "value": k.value, "easing": k.easing} for k in a.keyframes],
    }


def bright(picture: np.ndarray) -> np.ndarray:
    return picture.mean(axis=2) > 128


def centre(picture: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(bright(picture))
    return (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2


async def rendered(compiler: Running, tmp_path: Path, animations: list[Animation]) -> list[np.ndarray]:
    proj = project(timeline(tmp_path, [as_json(a) for a in animations]), tmp_path)
    job = await render(compiler, proj)
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    return decode_rgb(Path(job.result.output_path))


async def test_keyframed_position_follows_the_eased_curve_within_2_px(
    compiler: Running, tmp_path: Path
) -> None:
    x = anim("transform.x", (0.1, 0.2, ""), (1.1, 0.8, "easeInOutCubic"))
    y = anim("transform.y", (0.0, 0.3, ""), (1.0, 0.7, "easeOutBounce"))
    frames = await rendered(compiler, tmp_path, [x, y])
    assert len(frames) == 45
    for k in range(0, 45, 3):
        cx, cy = centre(frames[k])
        assert abs(cx - W * keyframes.value_at(x, k / FPS)) <= 2, k
        assert abs(cy - H * keyframes.value_at(y, k / FPS)) <= 2, k


async def test_hundreds_of_keyframes_render(compiler: Running, tmp_path: Path) -> None:
    zigzag = Animation(
        "transform.x", tuple(Keyframe(i / 100, 0.3 + 0.4 * (i % 2), "easeInOutSine") for i in range(150))
    )
    proj = project(timeline(tmp_path, [as_json(zigzag)]), tmp_path)
    for t in (0.0, 0.505, 1.2):
        reply = await compiler.stub.RenderFrame(
            compiler_pb2.RenderFrameRequest(project=proj, time=t, format=compiler_pb2.IMAGE_FORMAT_PNG)
        )
        picture = np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB"))
        expected = W * keyframes.value_at(zigzag, round(t * FPS) / FPS)
        assert abs(centre(picture)[0] - expected) <= 2, t


async def test_keyframed_scale_and_rotation_change_the_size_about_the_centre(
    compiler: Running, tmp_path: Path
) -> None:
    scale = anim("transform.scale", (0.0, 0.125, ""), (1.0, 0.5, "easeOutBack"))
    frames = await rendered(compiler, tmp_path, [scale])
    for k in range(0, 45, 4):
        _ys, xs = np.nonzero(bright(frames[k]))
        expected = W * keyframes.value_at(scale, k / FPS)
        assert abs((xs.max() - xs.min() + 1) - expected) <= 3, k
        assert abs(centre(frames[k])[0] - W / 2) <= 2

    turn = anim("transform.rotation", (0.0, 0.0, ""), (1.0, 45.0, "linear"))
    frames = await rendered(compiler, tmp_path, [turn])
    widths = [np.ptp(np.nonzero(bright(frames[k]))[1]) + 1 for k in (0, 15, 30, 40)]
    assert abs(widths[0] - 40) <= 2
    # A square at 45° is its diagonal wide (its corners are points: antialiasing and 4:2:0 chroma
    # widen the measured span by up to 2 px a side).
    assert abs(widths[2] - 40 * 2**0.5) <= 4
    assert widths[1] > widths[0] and widths[3] == pytest.approx(widths[2], abs=1)


async def test_keyframed_opacity_lands_within_2_percent(compiler: Running, tmp_path: Path) -> None:
    fade = anim("opacity", (0.2, 0.0, ""), (1.2, 1.0, "easeInQuad"))
    frames = await rendered(compiler, tmp_path, [fade])
    for k in range(0, 45, 2):
        level = frames[k][H // 2 - 5 : H // 2 + 5, W // 2 - 5 : W // 2 + 5].mean() / 255
        assert abs(level - keyframes.value_at(fade, k / FPS)) <= 0.02, k


async def test_render_frame_shows_the_same_keyframed_values_as_the_render(
    compiler: Running, tmp_path: Path
) -> None:
    x = anim("transform.x", (0.0, 0.2, ""), (1.0, 0.8, "cubic-bezier(0.3,0.9,0.6,1)"))
    fade = anim("opacity", (0.0, 0.2, ""), (1.0, 1.0, "steps(4)"))
    proj = project(timeline(tmp_path, [as_json(x), as_json(fade)]), tmp_path)
    for t in (0.0, 0.4, 0.77):
        reply = await compiler.stub.RenderFrame(
            compiler_pb2.RenderFrameRequest(project=proj, time=t, format=compiler_pb2.IMAGE_FORMAT_PNG)
        )
        picture = np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB"))
        _ys, xs = np.nonzero(picture.mean(axis=2) > 20)
        assert abs((xs.min() + xs.max() + 1) / 2 - W * keyframes.value_at(x, t)) <= 2
        level = picture[H // 2, round(W * keyframes.value_at(x, t))].mean() / 255
        assert abs(level - keyframes.value_at(fade, t)) <= 0.02


async def test_a_keyframed_effect_parameter_matches_the_static_effect_at_each_frame(
    compiler: Running, tmp_path: Path
) -> None:
    def grey(brightness: float | None, animate: bool) -> dict[str, Any]:
        clip: dict[str, Any] = {
            "id": "g",
            "source": {"color": {"color": "#606060"}},
            "duration": 1.5,
            "effects": [{"type": "brightness", "params": {"value": brightness or 0}}],
        }
        if animate:
            clip["animations"] = [as_json(BRIGHT)]
        return {
            "settings": {"width": 64, "height": 48, "fps": FPS},
            "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [clip]}],
            "output": {"path": str(tmp_path / "fx.mp4"), "audioCodec": "none", "crf": 0},
        }

    job = await render(compiler, project(grey(None, True), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(Path(job.result.output_path))
    levels = []
    for k in (0, 6, 12, 18, 24, 30, 40):
        value = keyframes.value_at(BRIGHT, k / FPS)
        reply = await compiler.stub.RenderFrame(
            compiler_pb2.RenderFrameRequest(project=project(grey(value, False), tmp_path), time=0.0)
        )
        static = np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB")).astype(float)
        assert abs(frames[k].astype(float).mean() - static.mean()) <= 2.5, k
        levels.append(frames[k].mean())
    assert levels == sorted(levels) and levels[-1] - levels[0] > 60


BRIGHT = Animation("effects[0].params.value", (Keyframe(0.1, 0.0), Keyframe(1.1, 0.4, "easeInOutQuad")))


async def test_bad_keyframes_are_refused_with_their_field_paths(compiler: Running, tmp_path: Path) -> None:
    bad = [
        {"property": "transform.wobble", "keyframes": [{"time": 0, "value": 1}]},
        {
            "property": "opacity",
            "keyframes": [{"time": 1, "value": 0}, {"time": 0.5, "value": 3, "easing": "x"}],
        },
        {"property": "crop.left", "keyframes": [{"time": 0, "value": 0.1}]},
    ]
    proj = project(timeline(tmp_path, bad), tmp_path)
    error = await render_error(compiler, proj)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = field_violations(error)
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=proj))
    assert not reply.valid
    assert {v.field for v in reply.violations} == set(fields)
    base = "tracks[0].clips[0].animations"
    for path in (
        f"{base}[0].property",
        f"{base}[1].keyframes[1].time",
        f"{base}[1].keyframes[1].value",
        f"{base}[1].keyframes[1].easing",
        f"{base}[2].property",
    ):
        assert path in fields


async def test_explained_ffmpeg_command_plays_the_same_keyframes(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    def edit(output: Path) -> dict[str, Any]:
        moving = timeline(
            tmp_path,
            [
                as_json(anim("transform.x", (0.0, 0.2, ""), (1.0, 0.8, "easeOutElastic"))),
                as_json(anim("transform.scale", (0.2, 0.1, ""), (0.8, 0.3, "cubic-bezier(0.2,0.8,0.4,1)"))),
                as_json(anim("transform.rotation", (0.0, 0.0, ""), (1.2, 90.0, "easeInOutSine"))),
                as_json(anim("opacity", (0.0, 0.3, ""), (1.0, 1.0, "hold"))),
            ],
            start=0.3,
        )
        tracks = moving["tracks"]
        # A second clip cuts the moving one's span into segments (the curves cross segment edges).
        tracks[0]["clips"].append(
            {
                "id": "dot",
                "source": {"color": {"color": "#ff0000"}},
                "start": 0.9,
                "duration": 0.3,
                "transform": {"x": 0.1, "y": 0.1, "scale": 0.1},
                "effects": [
                    {"type": "saturation", "params": {"value": 1}},
                    {"type": "blur", "params": {"radius": 0}},
                ],
                "animations": [
                    {
                        "property": "effects[0].params.value",
                        "keyframes": [{"time": 0, "value": 0}, {"time": 0.3, "value": 2}],
                    },
                    {
                        "property": "effects[1].params.radius",
                        "keyframes": [{"time": 0, "value": 0}, {"time": 0.2, "value": 3}],
                    },
                ],
            }
        )
        tracks.append(
            {
                "id": "a",
                "kind": "TRACK_KIND_AUDIO",
                "clips": [
                    {
                        "id": "tone",
                        "source": {"path": "tone.wav"},
                        "start": 0,
                        "duration": 1.5,
                        "animations": [as_json(anim("volume", (0.0, 1.0, ""), (1.0, 0.0, "easeInQuad")))],
                    }
                ],
            }
        )
        moving["output"] = {"path": str(output), "preset": "veryfast", "crf": 12}
        return moving

    shutil.copy(media.root / "tone.wav", tmp_path / "tone.wav")
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "ffmpeg.mp4"
    job = await render(compiler, project(edit(ours), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(edit(theirs), tmp_path))
    )
    assert len(explained.segments) >= 3
    assert any("sendcmd" in s.filter_graph for s in explained.segments)
    assert "eval=frame" in explained.audio_filter_graph
    notes = "\n".join(explained.notes)
    assert "animations[1] (transform.scale): cubic-bezier has no closed form" in notes
    assert "(opacity): colorchannelmixer's alpha takes no expression" in notes
    assert "(effects[0].params.value): the effect's filters take no expressions" in notes
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
    for index in range(len(our_frames)):
        value = psnr(our_frames[index], their_frames[index])
        assert value >= 35, f"frame {index}: PSNR {value:.1f} dB"
    ours_sound, _ = decode_audio(ours)
    theirs_sound, _ = decode_audio(theirs)
    size = min(len(ours_sound), len(theirs_sound))
    assert np.abs(ours_sound[:size] - theirs_sound[:size]).max() < 0.05
    # The volume falls to silence by 1 s and stays there.
    rate = 48000
    assert np.abs(ours_sound[int(0.05 * rate) : int(0.15 * rate)]).max() > 0.1
    assert np.abs(ours_sound[int(1.05 * rate) : int(1.4 * rate)]).max() < 0.01


async def test_a_speed_ramp_puts_the_flash_where_the_integral_says(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    # Speed 1 -> 0.5 (slow motion, so the one-frame flash is never skipped) over the first second,
    # placed at 0.4 s, source from 0.2 s: the flash (source 1.5 s, 1.3 s into the clip's source)
    # lands where the ramp's integral reaches 1.3.
    ramp = anim("speed", (0.0, 1.0, ""), (1.0, 0.5, "easeInQuad"))
    clip: dict[str, Any] = {
        "id": "flash",
        "source": {"path": str(media.flash)},
        "start": 0.4,
        "sourceIn": 0.2,
        "animations": [as_json(ramp)],
    }
    data = {
        "settings": {"width": 160, "height": 120, "fps": FPS},
        "tracks": [
            {
                "id": "bg",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "black", "source": {"color": {"color": "#000000"}}, "duration": 3}],
            },
            {"id": "v", "kind": "TRACK_KIND_OVERLAY", "clips": [clip]},
        ],
        "output": {"path": str(tmp_path / "ramp.mp4")},
    }
    # Picture only: with its sound on, a ramp is refused by path.
    error = await render_error(compiler, project(data))
    assert field_violations(error) == ["tracks[1].clips[0].animations[0].property"]
    assert "muted" in (error.details() or "")
    clip["muted"] = True
    job = await render(compiler, project(data))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    brightness = [float(f.mean()) for f in decode_rgb(tmp_path / "ramp.mp4")]
    flash_frame = int(np.argmax(brightness))
    assert brightness[flash_frame] > 150
    expected = 0.4 + speed_ramp.length(ramp, FLASH_AT - 0.2)
    assert abs(flash_frame / FPS - expected) <= 1 / FPS
    # The clip ends when its source does: 2.8 source seconds through the ramp.
    assert job.result.duration_seconds == pytest.approx(0.4 + speed_ramp.length(ramp, 2.8), abs=1 / FPS)

    # The ffmpeg command (its setpts inverts the ramp's integral) shows the flash on the same frame.
    data["output"]["path"] = str(tmp_path / "ramp-ffmpeg.mp4")
    explained = await compiler.stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=project(data)))
    process = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(),
        *explained.ffmpeg_args[1:],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()[-3000:]
    theirs = [float(f.mean()) for f in decode_rgb(tmp_path / "ramp-ffmpeg.mp4")]
    assert len(theirs) == len(brightness)
    assert int(np.argmax(theirs)) == flash_frame
