"""A nested timeline renders as a clip, identical to the same edit flattened into the parent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, decode_audio, decode_rgb, project, psnr
from .test_render import render


def inner_tracks(shift: float) -> list[dict[str, Any]]:
    return [
        {"id": "iv", "kind": "TRACK_KIND_VIDEO", "clips": [
            {"id": "rg", "source": {"path": "red_green.mp4"}, "start": shift, "sourceIn": 0.5, "sourceOut": 1.5},
        ]},
        {"id": "io", "kind": "TRACK_KIND_OVERLAY", "clips": [
            {"id": "logo", "source": {"path": "logo.png"}, "start": shift + 0.2, "duration": 0.5,
             "transform": {"x": 0.3, "y": 0.3, "scale": 0.25}, "fadeIn": 0.2},
        ]},
    ]  # fmt: skip


def outer(out: Path, nested: bool) -> dict[str, Any]:
    lead = {"id": "lead", "source": {"color": {"color": "#203040"}}, "start": 0, "duration": 0.5}
    tracks: list[dict[str, Any]] = [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [lead]}]
    if nested:
        inner = {"settings": {"width": 640, "height": 360, "fps": 25}, "tracks": inner_tracks(0)}
        tracks[0]["clips"].append({"id": "n", "source": {"project": inner}, "start": 0.5})
    else:
        tracks[0]["clips"].append(inner_tracks(0.5)[0]["clips"][0])
        tracks.append(inner_tracks(0.5)[1])
    return {
        "settings": {"width": 160, "height": 120, "fps": 30},
        "tracks": tracks,
        "output": {"path": str(out), "crf": 10},
    }


async def test_a_nested_project_renders_like_its_flattened_equivalent(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    nested, flat = tmp_path / "nested.mp4", tmp_path / "flat.mp4"
    job = await render(compiler, project(outer(nested, True), media.root))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    job_flat = await render(compiler, project(outer(flat, False), media.root))
    assert job_flat.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job_flat.error
    ours, theirs = decode_rgb(nested), decode_rgb(flat)
    assert len(ours) == len(theirs) == 45  # 0.5 s + the nested 1 s, at the parent's 30 fps
    assert min(psnr(a, b) for a, b in zip(ours, theirs, strict=True)) >= 45
    sound, _ = decode_audio(nested)
    sound_flat, _ = decode_audio(flat)
    n = min(len(sound), len(sound_flat))
    assert np.sqrt(np.mean(sound[:n] ** 2)) > 0.1  # the nested clip's tone is in the mix
    assert np.abs(sound[:n] - sound_flat[:n]).max() < 0.02


async def test_nested_violations_carry_the_clip_path(compiler: Running, media: Media, tmp_path: Path) -> None:
    edit = outer(tmp_path / "bad.mp4", True)
    inner = edit["tracks"][0]["clips"][1]["source"]["project"]
    inner["tracks"][0]["clips"][0]["speed"] = 99
    edit["tracks"].append(
        {"id": "p", "kind": "TRACK_KIND_OVERLAY",
         "clips": [{"id": "f", "source": {"projectPath": "inner.txt"}, "start": 0, "duration": 1, "speed": 2}]}
    )  # fmt: skip
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(edit, media.root))
    )
    assert {v.field for v in reply.violations} == {
        "tracks[1].clips[0].source.project_path",
        "tracks[1].clips[0].speed",
    }
    edit["tracks"].pop()
    reply = await compiler.stub.ValidateProject(
        compiler_pb2.ValidateProjectRequest(project=project(edit, media.root))
    )
    assert [v.field for v in reply.violations] == [
        "tracks[0].clips[1].source.project.tracks[0].clips[0].speed"
    ]


async def test_a_nested_project_file_renders_like_the_inline_project_and_cycles_are_refused(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    import json
    import shutil

    import grpc
    import pytest
    from svckit.grpc_errors import error_details

    # The file lives in its own folder with its media: its relative paths resolve there.
    folder = tmp_path / "inner"
    folder.mkdir()
    for name in ("red_green.mp4", "logo.png"):
        shutil.copy(media.root / name, folder / name)
    inner = {"settings": {"width": 640, "height": 360, "fps": 25}, "tracks": inner_tracks(0)}
    (folder / "inner.json").write_text(json.dumps(inner))
    from_file, inline = tmp_path / "file.mp4", tmp_path / "inline.mp4"
    edit = outer(from_file, True)
    edit["tracks"][0]["clips"][1]["source"] = {"projectPath": "inner/inner.json"}
    job = await render(compiler, project(edit, tmp_path))
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    job_inline = await render(compiler, project(outer(inline, True), media.root))
    assert job_inline.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job_inline.error
    ours, theirs = decode_rgb(from_file), decode_rgb(inline)
    assert min(psnr(a, b) for a, b in zip(ours, theirs, strict=True)) >= 45

    # a.json -> b.json -> a.json
    for name, other in (("a.json", "b.json"), ("b.json", "a.json")):
        loop = {"tracks": [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": [
            {"id": "n", "source": {"projectPath": other}, "start": 0, "duration": 1}]}]}  # fmt: skip
        (tmp_path / name).write_text(json.dumps(loop))
    cyclic = outer(tmp_path / "cycle.mp4", True)
    cyclic["tracks"][0]["clips"][1]["source"] = {"projectPath": "a.json"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, project(cyclic, tmp_path))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    (violation,) = error_details(caught.value).field_violations
    assert violation.field.startswith("tracks[0].clips[1].source.project_path")
    assert "refers back to itself" in violation.description
    cyclic["tracks"][0]["clips"][1]["source"] = {"projectPath": "gone.json"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await render(compiler, project(cyclic, tmp_path))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert [v.field for v in error_details(caught.value).field_violations] == [
        "tracks[0].clips[1].source.project_path"
    ]


async def test_odd_inputs_get_field_paths_never_internal(
    compiler: Running, media: Media, tmp_path: Path
) -> None:
    import grpc
    import pytest
    from svckit.grpc_errors import error_details

    cases: list[tuple[dict[str, Any], str]] = []
    empty = outer(tmp_path / "a.mp4", True)
    empty["tracks"][0]["clips"][1]["source"] = {"project": {"tracks": []}}
    cases.append((empty, "tracks[0].clips[1].source.project.tracks"))
    wipe = outer(tmp_path / "b.mp4", False)
    wipe["tracks"][0]["clips"][1]["start"] = 0.4
    wipe["tracks"][0]["clips"][1]["transition"] = {
        "type": "luma",
        "duration": 0.1,
        "params": {"path": "no.png"},
    }
    cases.append((wipe, "tracks[0].clips[1].transition.params.path"))
    folder_mask = outer(tmp_path / "c.mp4", False)
    folder_mask["tracks"][1]["clips"][0]["mask"] = {"path": str(tmp_path)}
    cases.append((folder_mask, "tracks[1].clips[0].mask.path"))
    backwards = outer(tmp_path / "d.mp4", False)
    backwards["tracks"].append(
        {"id": "a", "kind": "TRACK_KIND_AUDIO",
         "clips": [{"id": "t", "source": {"path": "tone.wav"}, "start": 0, "reverse": True, "freezeAt": 1}]}
    )  # fmt: skip
    cases.append((backwards, "tracks[2].clips[0].freeze_at"))
    for edit, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await render(compiler, project(edit, media.root))
        assert caught.value.code() != grpc.StatusCode.INTERNAL, field
        assert field in {v.field for v in error_details(caught.value).field_violations}, (
            field,
            error_details(caught.value).field_violations,
        )
