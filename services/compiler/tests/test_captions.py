"""Captions from SRT, WebVTT and ASS files through gRPC: cues show at their times (within a frame) in
the styled place; broken files are refused with the line number."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import grpc
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Running, decode_rgb, project, psnr
from .test_plugin_rpcs import field_violations, render_error
from .test_render import render

W, H, FPS = 320, 180, 30

SRT = """1
00:00:01,000 --> 00:00:02,000
Hello <i>there</i>

2
00:00:02,500 --> 00:00:03,000
Second cue
"""

VTT = """WEBVTT

00:01.000 --> 00:02.000
Hello there

00:02.500 --> 00:03.000
Second cue
"""

ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,16,&H0000FFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\an8}Hello {\\blur2}there
Dialogue: 0,0:00:02.50,0:00:03.00,Default,,0,0,0,,Second cue
"""


def edit(tmp_path: Path, name: str, content: str, style: dict[str, Any] | None = None) -> dict[str, Any]:
    (tmp_path / name).write_text(content)
    return {
        "settings": {"width": W, "height": H, "fps": FPS},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "bg", "source": {"color": {"color": "#204060"}}, "duration": 4}],
            },
            {
                "id": "t",
                "kind": "TRACK_KIND_TEXT",
                "clips": [
                    {
                        "id": "subs",
                        "source": {"captions": {"path": name, "style": style or {}}},
                        "start": 1.0,
                        "sourceIn": 0.5,
                    }
                ],
            },
        ],
        "output": {"path": str(tmp_path / "out.mp4"), "audioCodec": "none", "crf": 12, "preset": "veryfast"},
    }


def ink(frame: np.ndarray) -> tuple[int, int]:
    """Bright pixels in the top and bottom halves (the background is dark blue)."""
    bright = frame.min(axis=2) > 180
    yellow = (frame[..., 0] > 180) & (frame[..., 1] > 180) & (frame[..., 2] < 90)
    mask = bright | yellow
    return int(mask[: H // 2].sum()), int(mask[H // 2 :].sum())


@pytest.mark.parametrize(
    ("name", "content", "style", "place"),
    [
        ("talk.srt", SRT, None, "bottom"),
        (
            "talk.vtt",
            VTT,
            {"position": "top", "fontSize": 20, "backgroundColor": "#000000aa", "padding": 4},
            "top",
        ),
        ("talk.ass", ASS, None, "top"),  # {\an8}
    ],
)
async def test_cues_show_at_their_times_in_the_styled_place(
    compiler: Running, tmp_path: Path, name: str, content: str, style: dict[str, Any] | None, place: str
) -> None:
    job = await render(compiler, project(edit(tmp_path, name, content, style), tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(Path(job.result.output_path))
    # Cue 1 is 1..2 s in the file; the clip starts at 1 s with sourceIn 0.5: 1.5..2.5 s, frames 45..74.
    shown = [sum(ink(f)) > 30 for f in frames]
    assert not any(shown[:44]) and all(shown[46:74]) and not any(shown[76:89])
    assert all(shown[91:104]) and not any(shown[106:])  # cue 2: 3..3.5 s, frames 90..104
    top, bottom = ink(frames[60])
    assert (top > bottom) if place == "top" else (bottom > top)


async def test_ass_styles_colour_the_text_and_dropped_tags_are_noted(
    compiler: Running, tmp_path: Path
) -> None:
    data = edit(tmp_path, "talk.ass", ASS)
    job = await render(compiler, project(data, tmp_path))
    frame = decode_rgb(Path(job.result.output_path))[60]
    yellow = (frame[..., 0] > 180) & (frame[..., 1] > 180) & (frame[..., 2] < 90)
    assert yellow.sum() > 20  # PrimaryColour &H0000FFFF is yellow (ASS is BGR)
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(data, tmp_path))
    )
    assert "tracks[1].clips[0].source.captions: override tags not drawn: \\blur" in explained.notes


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:0x,500 --> 00:00:03,000\nbad\n", 6),
        ("bad.srt", "1\n00:00:03,000 --> 00:00:02,000\nbackwards\n", 2),
        ("bad.vtt", "00:01.000 --> 00:02.000\nno header\n", 1),
        (
            "bad.ass",
            ASS.replace("Dialogue: 0,0:00:02.50,0:00:03.00", "Dialogue: 0,0:0x:02.50,0:00:03.00"),
            13,
        ),
        ("bad.sub", "x", 1),
    ],
)
async def test_broken_subtitle_files_are_invalid_argument_with_the_line(
    compiler: Running, tmp_path: Path, name: str, content: str, line: int
) -> None:
    error = await render_error(compiler, project(edit(tmp_path, name, content), tmp_path))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(error) == ["tracks[1].clips[0].source.captions.path"]
    assert f"line {line}:" in (error.details() or "")


async def test_an_unknown_caption_font_family_is_a_warning(compiler: Running, tmp_path: Path) -> None:
    data = edit(tmp_path, "talk.srt", SRT, {"font": "No Such Family"})
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(data, tmp_path))
    )
    assert reply.valid
    assert [w.field for w in reply.warnings] == ["tracks[1].clips[0].source.captions.style.font"]


async def test_captions_style_and_track_are_checked_by_field(compiler: Running, tmp_path: Path) -> None:
    data = edit(tmp_path, "talk.srt", SRT, {"position": "sideways", "maxLines": 99, "fontSize": -1})
    data["tracks"][0]["clips"].append(
        {"id": "c2", "source": {"captions": {"path": "talk.srt"}}, "start": 0, "duration": 4}
    )
    error = await render_error(compiler, project(data, tmp_path))
    assert set(field_violations(error)) >= {
        "tracks[1].clips[0].source.captions.style.position",
        "tracks[1].clips[0].source.captions.style.max_lines",
        "tracks[1].clips[0].source.captions.style.font_size",
        "tracks[0].clips[1].source.captions",
    }


async def test_the_ffmpeg_command_burns_the_same_captions(compiler: Running, tmp_path: Path) -> None:
    data = edit(tmp_path, "talk.srt", SRT, {"shadowColor": "#000000", "shadowX": 2, "shadowY": 2})
    job = await render(compiler, project(data, tmp_path))
    data["output"]["path"] = str(tmp_path / "ffmpeg.mp4")
    explained = await compiler.stub.ExplainRender(
        compiler_pb2.ExplainRenderRequest(project=project(data, tmp_path))
    )
    process = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(),
        *explained.ffmpeg_args[1:],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()[-3000:]
    a, b = decode_rgb(Path(job.result.output_path)), decode_rgb(tmp_path / "ffmpeg.mp4")
    assert len(a) == len(b)
    for index in range(0, len(a), 3):
        assert psnr(a[index], b[index]) >= 35, index


KARAOKE = ASS.replace(
    "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\an8}Hello {\\blur2}there",
    "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\k50}AAAA {\\k50}BBBB",
)


async def test_karaoke_highlights_the_syllable_being_sung(compiler: Running, tmp_path: Path) -> None:
    data = edit(tmp_path, "karaoke.ass", KARAOKE, {"highlightColor": "#ff0000", "fontSize": 40})
    data["tracks"][1]["clips"][0]["sourceIn"] = 0
    data["tracks"][1]["clips"][0]["start"] = 0

    async def red_centre(t: float) -> float:
        request = compiler_pb2.RenderFrameRequest(
            project=project(data, tmp_path), time=t, format=compiler_pb2.IMAGE_FORMAT_PNG
        )
        picture = np.asarray(
            Image.open(io.BytesIO((await compiler.stub.RenderFrame(request)).image)).convert("RGB")
        )
        red = (picture[..., 0] > 180) & (picture[..., 1] < 80) & (picture[..., 2] < 80)
        xs = np.nonzero(red)[1]
        return float(xs.mean()) if len(xs) > 20 else -1.0

    first, second = await red_centre(1.2), await red_centre(1.7)
    assert 0 < first < W / 2 < second  # AAAA (left) is sung first, then BBBB (right)
