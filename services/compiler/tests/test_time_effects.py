"""Freeze frames and reverse through gRPC, read back from the output's pictures and sound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.adapters.time_feeders import ReverseFeeder
from tstudio_compiler.domain.plan import InputSpec

from .compositing_media import BAR_FPS, bar_position, envelope, make_bar_video
from .conftest import Running, decode_audio, decode_rgb, project
from .test_render import render


@pytest.fixture(scope="module")
def bar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bar_video(tmp_path_factory.mktemp("bar") / "bar.mp4")


def bar_edit(out: Path, clip: dict[str, Any], audio: bool = False) -> dict[str, Any]:
    return {
        "settings": {"width": 64, "height": 48, "fps": BAR_FPS},
        "tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [{"id": "c", "start": 0, **clip}]}],
        "output": {"path": str(out), "audioCodec": "aac" if audio else "none", "crf": 10},
    }


async def test_reverse_plays_the_trimmed_range_backwards_picture_and_sound(
    compiler: Running, bar: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reverse.mp4"
    clip = {"source": {"path": str(bar)}, "sourceIn": 0.5, "sourceOut": 1.5, "reverse": True}
    job = await render(compiler, project(bar_edit(out, clip, audio=True)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 30
    # Source frames 15..44 shown as 44, 43, ..., 15.
    positions = [bar_position(f) for f in frames]
    assert all(abs(p - (44 - k)) <= 1 for k, p in enumerate(positions)), positions
    # The source's rising tone (0.2 -> 0.6 over the range) falls instead; correlate the envelopes.
    samples, rate = decode_audio(out)
    got = envelope(samples[:rate], 10)
    expected = np.linspace(0.6, 0.2, 10) / np.sqrt(2)
    assert got[0] > 2 * got[-1]
    assert np.corrcoef(got, expected)[0, 1] > 0.98


async def test_reverse_at_double_speed_and_after_other_clips(
    compiler: Running, bar: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reverse2.mp4"
    edit = bar_edit(out, {"source": {"color": {"color": "#000000"}}, "duration": 0.5})
    edit["tracks"][0]["clips"].append(
        {"id": "r", "source": {"path": str(bar)}, "start": 0.5, "sourceOut": 2, "reverse": True, "speed": 2}
    )
    job = await render(compiler, project(edit))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 15 + 30
    # Source frames 58, 56, ..., 0 (bar x wraps at 60: frame 58 -> 58).
    positions = [bar_position(f) for f in frames[15:]]
    assert all(abs(p - (58 - 2 * k)) <= 1 for k, p in enumerate(positions)), positions


async def test_freeze_holds_one_source_frame_for_the_duration_in_silence(
    compiler: Running, bar: Path, tmp_path: Path
) -> None:
    out = tmp_path / "freeze.mp4"
    clip = {"source": {"path": str(bar)}, "freezeAt": 1.0, "duration": 0.5}
    job = await render(compiler, project(bar_edit(out, clip, audio=True)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    frames = decode_rgb(out)
    assert len(frames) == 15
    assert {bar_position(f) for f in frames} == {30}
    assert max(float(np.abs(f.astype(int) - frames[0]).max()) for f in frames) <= 2
    samples, _ = decode_audio(out)
    assert float(np.abs(samples).max()) < 1e-3


def test_reverse_keeps_memory_bounded_by_decoding_long_gops_again(tmp_path: Path) -> None:
    """A chunk budget of three frames over a 30-frame GOP: every frame still comes out, in reverse."""
    video = make_bar_video(tmp_path / "long_gop.mp4", gop=30)
    spec = InputSpec(
        "in0",
        "c",
        "video",
        path=str(video),
        frames=60,
        source_in=0.0,
        fps=BAR_FPS,
        reverse=True,
        clip_frames=60,
    )
    frame_bytes = 64 * 48 * 3 // 2
    feeder = ReverseFeeder(spec, budget=3 * frame_bytes)
    try:
        positions = [bar_position(feeder.frame(k).to_ndarray(format="rgb24")) for k in range(60)]
    finally:
        feeder.close()
    assert positions == [(59 - k) % 60 for k in range(60)]


async def test_freeze_past_the_end_and_reverse_of_a_colour_are_refused_with_their_paths(
    compiler: Running, bar: Path, tmp_path: Path
) -> None:
    import grpc
    from svckit.grpc_errors import error_details

    edit = bar_edit(tmp_path / "late.mp4", {"source": {"path": str(bar)}, "freezeAt": 5, "duration": 1})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, project(edit))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [v.field for v in error_details(caught.value).field_violations] == ["tracks[0].clips[0].freeze_at"]
    edit = bar_edit(
        tmp_path / "x.mp4", {"source": {"color": {"color": "#ffffff"}}, "duration": 1, "reverse": True}
    )
    edit["tracks"][0]["clips"].append({"id": "f", "source": {"path": str(bar)}, "start": 1, "freezeAt": 1})
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(edit)))
    assert {v.field for v in reply.violations} == {
        "tracks[0].clips[0].reverse",
        "tracks[0].clips[1].duration",
    }


async def test_render_frame_previews_reverse_freeze_and_a_masked_blend(
    compiler: Running, bar: Path, tmp_path: Path
) -> None:
    import io

    from PIL import Image

    edit = bar_edit(tmp_path / "p.mp4", {"source": {"path": str(bar)}, "sourceOut": 1, "reverse": True})
    edit["tracks"][0]["clips"].append(
        {"id": "f", "source": {"path": str(bar)}, "start": 1, "freezeAt": 0.5, "duration": 1}
    )
    edit["tracks"].append(
        {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [
            {"id": "m", "source": {"color": {"color": "#ff0000"}}, "start": 0, "duration": 2, "blendMode": "multiply",
             "mask": {"shape": {"type": "rectangle", "x": 0.5, "y": 0.25, "width": 1, "height": 0.5}}},
        ]}
    )  # fmt: skip
    for time, position in ((0.0, 29), (0.5, 14), (1.5, 15)):
        reply = await compiler.stub.RenderFrame(
            compiler_pb2.RenderFrameRequest(
                project=project(edit), time=time, format=compiler_pb2.IMAGE_FORMAT_PNG
            )
        )
        frame = np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB"))
        assert abs(bar_position(frame) - position) <= 1, (time, bar_position(frame))
        top, bottom = frame[:20, position + 1], frame[28:, position + 1]
        assert top[:, 0].min() > 200 and top[:, 1].max() < 60  # white x red (multiply) in the mask
        assert bottom.min() > 200  # white outside it
