"""Fit modes, platform presets, blend modes and masks through gRPC, read back from the pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.api.convert import project_from_proto

from .compositing_media import make_striped_video, save_picture
from .conftest import Running, decode_rgb, project
from .test_render import render

BELOW = (200, 100, 50)
CLIP = (80, 160, 220)


def colour(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def region(frame: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = frame.shape[:2]
    return frame[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)].reshape(-1, 3).astype(float)


async def test_cover_fills_a_vertical_frame_from_a_wide_source_without_bars(
    compiler: Running, tmp_path: Path
) -> None:
    # Green | red | blue thirds: cover keeps the centre (red) only; contain shows black bars.
    source = make_striped_video(tmp_path / "wide.mp4", 192, 108, [(0, 255, 0), (255, 0, 0), (0, 0, 255)])
    results = {}
    for fit in ("cover", "contain", "fill", "cover:left"):
        fit, _, anchor = fit.partition(":")
        out = tmp_path / f"{fit}{anchor}.mp4"
        edit = {
            "settings": {"width": 54, "height": 96, "fps": 10},
            "tracks": [
                {
                    "id": "v",
                    "kind": "TRACK_KIND_VIDEO",
                    "clips": [
                        {
                            "id": "c",
                            "source": {"path": str(source)},
                            "start": 0,
                            "sourceOut": 0.2,
                            "fit": fit,
                            "fitAnchor": anchor,
                        }
                    ],
                }
            ],
            "output": {"path": str(out), "audioCodec": "none"},
        }
        job = await render(compiler, project(edit))
        assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
        results[fit + anchor] = decode_rgb(out)[0]
    cover = results["cover"][2:-2, 2:-2].reshape(-1, 3).astype(int)
    assert (cover[:, 0] > 200).all() and (cover[:, 1] < 60).all(), "cover left bars or other colours"
    contain = results["contain"]
    assert contain[:20].max() < 30 and contain[-20:].max() < 30  # letterboxed top and bottom
    left = results["coverleft"][2:-2, 2:-6].reshape(-1, 3).astype(int)
    assert (left[:, 1] > 200).all() and (left[:, 0] < 60).all(), (
        "cover at the left anchor keeps the left third"
    )
    fill = results["fill"]
    assert fill[48, 2, 1] > 200 and fill[48, 27, 0] > 200 and fill[48, -3, 2] > 200  # all three, squeezed


def test_platform_presets_fill_unset_output_fields_and_explicit_fields_win() -> None:
    proto = project({"output": {"path": "out.mp4", "platformPreset": "tiktok"}})
    out = project_from_proto(proto).output
    assert (out.width, out.height, out.fps, out.video_codec, out.video_bitrate) == (
        1080,
        1920,
        30,
        "h264",
        8_000_000,
    )
    proto = project(
        {
            "output": {
                "path": "out.mkv",
                "platformPreset": "youtube-4k",
                "fps": 60,
                "videoCodec": "hevc",
                "crf": 20,
            }
        }
    )
    out = project_from_proto(proto).output
    assert (out.width, out.height, out.fps, out.video_codec, out.container) == (3840, 2160, 60, "hevc", "mkv")
    assert out.video_bitrate == 0 and out.crf == 20  # an explicit quality drops the preset's bitrate


async def test_a_platform_preset_renders_its_size_and_rate_and_unknown_names_are_refused(
    compiler: Running, tmp_path: Path
) -> None:
    out = tmp_path / "preview.mp4"
    edit = {
        "settings": {"width": 320, "height": 180, "fps": 25},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "c", "source": {"color": {"color": "#336699"}}, "start": 0, "duration": 0.2}
                ],
            }
        ],
        "output": {"path": str(out), "platformPreset": "preview-360p", "audioCodec": "none"},
    }
    job = await render(compiler, project(edit))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
        assert stream.average_rate == 30
    edit["output"]["platformPreset"] = "myspace"
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
    assert [v.field for v in reply.violations] == ["output.platform_preset"]


def w3c(mode: str, cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    """The W3C Compositing formulas on 0..1 values (Cb below, Cs the clip)."""
    hard = np.where(cs <= 0.5, cb * 2 * cs, cb + (2 * cs - 1) - cb * (2 * cs - 1))
    over = np.where(cb <= 0.5, cs * 2 * cb, cs + (2 * cb - 1) - cs * (2 * cb - 1))
    d = np.where(cb <= 0.25, ((16 * cb - 12) * cb + 4) * cb, np.sqrt(cb))
    return {
        "multiply": cb * cs,
        "screen": cb + cs - cb * cs,
        "overlay": over,
        "hard-light": hard,
        "soft-light": np.where(cs <= 0.5, cb - (1 - 2 * cs) * cb * (1 - cb), cb + (2 * cs - 1) * (d - cb)),
        "darken": np.minimum(cb, cs),
        "lighten": np.maximum(cb, cs),
        "color-dodge": np.where(
            cb == 0, 0, np.where(cs >= 1, 1, np.minimum(1, cb / np.maximum(1e-9, 1 - cs)))
        ),
        "color-burn": np.where(
            cb >= 1, 1, np.where(cs == 0, 0, 1 - np.minimum(1, (1 - cb) / np.maximum(cs, 1e-9)))
        ),
        "difference": np.abs(cb - cs),
        "exclusion": cb + cs - 2 * cb * cs,
        "add": np.minimum(1, cb + cs),
        "subtract": np.maximum(0, cb - cs),
    }[mode]


MODES = [
    "multiply", "screen", "overlay", "soft-light", "hard-light", "darken", "lighten",
    "color-dodge", "color-burn", "difference", "exclusion", "add", "subtract",
]  # fmt: skip


@pytest.mark.parametrize(("below", "clip"), [(BELOW, CLIP), ((60, 190, 128), (180, 40, 128))])
async def test_each_blend_mode_matches_its_formula_on_two_flat_colours(
    compiler: Running, tmp_path: Path, below: tuple[int, int, int], clip: tuple[int, int, int]
) -> None:
    """One frame per mode (10 fps): frame 0 the colour below alone, frame 1 the clip in normal mode,
    then each mode; a half-opacity multiply last. The colours come from PNGs (exact RGB in) and go
    out as APNG (lossless RGB), so the comparison sees the compositor's own rounding rather than
    8-bit 4:2:0 conversions."""
    save_picture(tmp_path / "below.png", np.full((32, 32, 3), below, np.uint8))
    save_picture(tmp_path / "clip.png", np.full((32, 32, 3), clip, np.uint8))
    modes = ["normal", *MODES]
    layers = [
        {
            "id": f"m{i}",
            "source": {"path": "clip.png"},
            "start": 0.1 * (i + 1),
            "duration": 0.1,
            "blendMode": mode,
        }
        for i, mode in enumerate(modes)
    ]
    layers.append(
        {"id": "half", "source": {"path": "clip.png"}, "start": 0.1 * (len(modes) + 1), "duration": 0.1,
         "blendMode": "multiply", "opacity": 0.5}
    )  # fmt: skip
    total = 0.1 * (len(modes) + 2)
    out = tmp_path / "blend.apng"
    edit = {
        "settings": {"width": 32, "height": 32, "fps": 10},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "below", "source": {"path": "below.png"}, "start": 0, "duration": total}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": layers},
        ],
        "output": {"path": str(out)},
    }  # fmt: skip
    job = await render(compiler, project(edit, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = [f.reshape(-1, 3).astype(float).mean(axis=0) for f in decode_rgb(out)]
    assert len(frames) == len(modes) + 2
    assert np.allclose(frames[0], below, atol=3) and np.allclose(frames[1], clip, atol=3)
    cb, cs = np.array(below) / 255, np.array(clip) / 255
    errors = {}
    for i, mode in enumerate(MODES):
        expected = w3c(mode, cb, cs) * 255
        errors[mode] = float(np.abs(frames[i + 2] - expected).max())
    assert max(errors.values()) <= 2.0, errors
    half = (cb + (w3c("multiply", cb, cs) - cb) * 0.5) * 255
    assert np.abs(frames[-1] - half).max() <= 2.0


def mask_edit(out: Path, mask: dict[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    return {
        "settings": {"width": 64, "height": 48, "fps": 10},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO",
             "clips": [{"id": "red", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 0.2}]},
            {"id": "o", "kind": "TRACK_KIND_OVERLAY",
             "clips": [{"id": "blue", "source": {"color": {"color": "#0000ff"}}, "start": 0, "duration": 0.2,
                        "mask": mask}]},
        ],
        "output": {"path": str(out), "audioCodec": "none", "crf": 10},
    }  # fmt: skip


def is_blue(pixels: np.ndarray) -> bool:
    return bool((pixels[:, 2] > 200).all() and (pixels[:, 0] < 50).all())


def is_red(pixels: np.ndarray) -> bool:
    return bool((pixels[:, 0] > 200).all() and (pixels[:, 2] < 50).all())


async def test_shape_masks_reveal_exactly_their_region(compiler: Running, tmp_path: Path) -> None:
    out = tmp_path / "rect.mp4"
    rect = {"shape": {"type": "rectangle", "x": 0.25, "y": 0.5, "width": 0.5, "height": 1}}
    job = await render(compiler, project(mask_edit(out, rect)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frame = decode_rgb(out)[0]
    assert is_blue(region(frame, 0, 0, 0.45, 1)) and is_red(region(frame, 0.55, 0, 1, 1))

    out = tmp_path / "ellipse.mp4"
    ellipse = {"shape": {"type": "ellipse", "width": 0.5, "height": 0.5}, "invert": True}
    job = await render(compiler, project(mask_edit(out, ellipse)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frame = decode_rgb(out)[0]
    # Inverted: the clip shows outside the ellipse (corners), the layer below inside it.
    assert is_red(region(frame, 0.42, 0.4, 0.58, 0.6)) and is_blue(region(frame, 0, 0, 0.15, 0.15))


async def test_luma_and_alpha_picture_masks_reveal_the_right_region(
    compiler: Running, tmp_path: Path
) -> None:
    luma = np.zeros((24, 32, 3), np.uint8)
    luma[:, :16] = 255  # white left half reveals
    save_picture(tmp_path / "luma.png", luma)
    alpha = np.zeros((24, 32, 4), np.uint8)
    alpha[12:, :, 3] = 255  # opaque bottom half reveals
    save_picture(tmp_path / "alpha.png", alpha)
    out = tmp_path / "luma.mp4"
    job = await render(compiler, project(mask_edit(out, {"path": "luma.png"}), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frame = decode_rgb(out)[0]
    assert is_blue(region(frame, 0, 0, 0.45, 1)) and is_red(region(frame, 0.55, 0, 1, 1))
    out = tmp_path / "alpha.mp4"
    job = await render(compiler, project(mask_edit(out, {"path": "alpha.png", "mode": "alpha"}), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frame = decode_rgb(out)[0]
    assert is_red(region(frame, 0, 0, 1, 0.45)) and is_blue(region(frame, 0, 0.55, 1, 1))


async def test_bad_compositing_fields_are_refused_with_their_paths(compiler: Running, tmp_path: Path) -> None:
    edit = mask_edit(tmp_path / "bad.mp4", {"shape": {"type": "star", "width": 0}, "mode": "chroma"})
    clip = edit["tracks"][1]["clips"][0]
    clip.update({"blendMode": "dissolve", "fit": "stretch", "freezeAt": -1, "reverse": True})
    edit["tracks"][0]["clips"][0]["source"] = {"path": "frames/img%04d.png", "fps": 500}
    edit["tracks"].append(
        {"id": "n", "kind": "TRACK_KIND_OVERLAY",
         "clips": [{"id": "nested", "source": {"projectPath": "inner.txt"}, "start": 0, "duration": 1}]}
    )  # fmt: skip
    edit["settings"]["backgroundColor"] = "#00000000"
    edit["tracks"][0]["clips"].append(
        {"id": "joined", "source": {"color": {"color": "#00ff00"}}, "start": 0.1, "duration": 1,
         "blendMode": "screen", "transition": {"type": "fade", "duration": 0.1}}
    )  # fmt: skip
    edit["markers"] = [{"time": 1, "title": "b"}, {"time": 0.5, "title": "a"}]
    edit["output"]["gif"] = {"dither": "noise", "loop": -2}
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
    fields = {v.field for v in reply.violations}
    assert {
        "tracks[0].clips[0].source.fps",
        "tracks[1].clips[0].mask.shape.type",
        "tracks[1].clips[0].mask.shape.width",
        "tracks[1].clips[0].mask.mode",
        "tracks[1].clips[0].blend_mode",
        "tracks[1].clips[0].fit",
        "tracks[1].clips[0].freeze_at",
        "tracks[1].clips[0].reverse",
        "tracks[2].clips[0].source.project_path",
        "tracks[0].clips[1].blend_mode",
        "settings.background_color",
        "markers[1].time",
        "output.gif.dither",
        "output.gif.loop",
    } <= fields, fields


async def test_a_luma_transition_at_half_way_reveals_the_darker_half_of_the_wipe(
    compiler: Running, tmp_path: Path
) -> None:
    # A left-to-right grey ramp: at 50 % the incoming clip shows where the ramp is below mid-grey.
    ramp = np.repeat(np.repeat(np.linspace(0, 255, 64).astype(np.uint8)[None, :, None], 48, 0), 3, 2)
    save_picture(tmp_path / "ramp.png", ramp)
    out = tmp_path / "luma.mp4"
    edit = {
        "settings": {"width": 64, "height": 48, "fps": 10},
        "tracks": [
            {"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [
                {"id": "a", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 2},
                {"id": "b", "source": {"color": {"color": "#0000ff"}}, "start": 0.9, "duration": 2,
                 "transition": {"type": "luma", "duration": 1.1, "params": {"path": "ramp.png", "softness": 0}}},
            ]},
        ],
        "output": {"path": str(out), "audioCodec": "none", "crf": 10},
    }  # fmt: skip
    job = await render(compiler, project(edit, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 29
    assert is_red(region(frames[9], 0, 0, 1, 1))  # transition start: all outgoing
    half = frames[9 + 5]  # 5 of 10 steps
    assert is_blue(region(half, 0, 0, 0.45, 1)) and is_red(region(half, 0.55, 0, 1, 1))
    assert is_blue(region(frames[19], 0, 0, 1, 1))  # the last transition frame: all incoming

    edit["tracks"][0]["clips"][1]["transition"]["params"] = {"softness": 3, "path": 7}
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
    assert {v.field for v in reply.violations} == {
        "tracks[0].clips[1].transition.params.path",
        "tracks[0].clips[1].transition.params.softness",
    }
