"""Alpha outputs keep transparency end to end; containers that cannot carry it are refused."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Running, project
from .test_render import render


def box_edit(out: Path, **output: str) -> dict[str, object]:
    """A transparent 64x48 frame with an opaque blue box in its top-left quarter."""
    return {
        "settings": {"width": 64, "height": 48, "fps": 10, "backgroundColor": "#00000000"},
        "tracks": [
            {
                "id": "o",
                "kind": "TRACK_KIND_OVERLAY",
                "clips": [
                    {
                        "id": "box",
                        "source": {"color": {"color": "#0000ff"}},
                        "start": 0,
                        "duration": 0.3,
                        "transform": {"x": 0.25, "y": 0.25, "scale": 0.5},
                    }
                ],
            }
        ],
        "output": {"path": str(out), **output},
    }


def decode_rgba(path: Path, codec: str = "") -> list[np.ndarray]:
    """RGBA frames; `codec` names the decoder (the native vp9 decoder drops alpha, libvpx-vp9 reads it)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if not codec:
            return [f.to_ndarray(format="rgba") for f in container.decode(stream)]
        ctx = av.CodecContext.create(codec, "r")
        packets = [p for p in container.demux(stream) if p.size]
        frames = [f.to_ndarray(format="rgba") for p in packets for f in ctx.decode(p)]
        return frames + [f.to_ndarray(format="rgba") for f in ctx.decode(None)]


@pytest.mark.parametrize(
    ("name", "output", "pix_fmt", "codec"),
    [
        ("alpha.mov", {"videoCodec": "prores", "audioCodec": "none"}, "yuva444p", ""),
        ("alpha.webm", {"videoCodec": "vp9", "audioCodec": "none"}, "yuv420p", "libvpx-vp9"),
        ("alpha.apng", {}, "rgba", ""),
    ],
)
async def test_alpha_outputs_decode_transparent_background_and_opaque_picture(
    compiler: Running, tmp_path: Path, name: str, output: dict[str, str], pix_fmt: str, codec: str
) -> None:
    out = tmp_path / name
    job = await render(compiler, project(box_edit(out, **output)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    if pix_fmt:
        with av.open(str(out)) as container:
            assert (container.streams.video[0].codec_context.pix_fmt or "").startswith(pix_fmt)
    frames = decode_rgba(out, codec)
    assert len(frames) == 3
    frame = frames[1]
    alpha = frame[..., 3]
    assert alpha[30:, 40:].max() <= 2, "background is not transparent"
    assert alpha[4:20, 4:28].min() >= 253, "the picture is not opaque"
    box = frame[4:20, 4:28, :3].reshape(-1, 3).astype(int)
    assert (box[:, 2] > 200).all() and (box[:, 0] < 40).all()


async def test_alpha_in_a_container_that_cannot_carry_it_is_refused(
    compiler: Running, tmp_path: Path
) -> None:
    cases = (
        ("a.mp4", {}),
        ("a.webm", {"videoCodec": "vp9", "container": "mp4"}),
        ("a.gif", {}),
        ("a.webp", {}),
    )
    for name, output in cases:
        edit = box_edit(tmp_path / name, **output)
        reply = await compiler.stub.ValidateProject(
            compiler_pb2.ValidateProjectRequest(project=project(edit))
        )
        assert [v.field for v in reply.violations] == ["settings.background_color"], name
    # Nothing was written beside the outputs (the compiler's own data folder lives here too).
    assert [p.name for p in tmp_path.iterdir() if p.name != "data"] == []


async def test_a_flat_colour_gif_keeps_its_exact_colour_with_a_palette_made_for_the_render(
    compiler: Running, tmp_path: Path
) -> None:
    out = tmp_path / "flat.gif"
    edit = {
        "settings": {"width": 64, "height": 48, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "blue", "source": {"color": {"color": "#3366cc"}}, "start": 0, "duration": 0.5},
                    {"id": "grey", "source": {"color": {"color": "#7f7f80"}}, "start": 0.5, "duration": 0.5},
                ],
            }
        ],
        "output": {"path": str(out), "gif": {"fps": 10, "width": 32, "loop": -1, "dither": "bayer"}},
    }
    job = await render(compiler, project(edit))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (32, 24)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == 10
    for frame, expected in ((frames[0], (0x33, 0x66, 0xCC)), (frames[-1], (0x7F, 0x7F, 0x80))):
        colours = {tuple(int(c) for c in px) for px in frame.reshape(-1, 3)}
        assert colours == {expected}, colours
    assert b"NETSCAPE2.0" not in out.read_bytes()  # loop -1: plays once


async def test_a_png_sequence_output_keeps_alpha_in_every_numbered_image(
    compiler: Running, tmp_path: Path
) -> None:
    out = tmp_path / "frames" / "f%03d.png"
    job = await render(compiler, project(box_edit(out)))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    assert job.result.output_path == str(out) and job.result.frames == 3
    written = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert written == ["f001.png", "f002.png", "f003.png"]  # nothing hidden left behind
    for name in written:
        with av.open(str(tmp_path / "frames" / name)) as container:
            frame = next(container.decode(video=0)).to_ndarray(format="rgba")
        assert frame[30:, 40:, 3].max() == 0 and frame[4:20, 4:28, 3].min() == 255
        assert np.abs(frame[10, 10].astype(int) - (0, 0, 255, 255)).max() <= 2
    bad = box_edit(tmp_path / "frames" / "f.png")
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=project(bad)))
    assert [v.field for v in reply.violations] == ["output.path"]
