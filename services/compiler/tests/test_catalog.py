"""Every catalog entry renders; the catalogs are listed with their parameter schemas."""

from __future__ import annotations

from pathlib import Path

import av
from tstudio.compiler.v1 import compiler_pb2

from .conftest import Media, Running, project
from .test_render import render

CLIP_SECONDS = 0.2  # 6 frames per clip at 30 fps keeps ~100 entries fast


async def test_effects_and_transitions_are_listed_with_schemas(compiler: Running) -> None:
    effects = (await compiler.stub.ListEffects(compiler_pb2.ListEffectsRequest())).effects
    names = {e.type for e in effects}
    for required in (
        "brightness",
        "sepia",
        "chroma-key",
        "s-log",
        "dramatic-contrast",
        "pitch",
        "ducking",
        "pan",
    ):
        assert required in names
    brightness = next(e for e in effects if e.type == "brightness")
    assert brightness.kind == compiler_pb2.EFFECT_KIND_VIDEO
    value = brightness.params[0]
    assert (value.name, value.min, value.max, value.default_value.number_value) == ("value", -1, 1, 0)
    transitions = (await compiler.stub.ListTransitions(compiler_pb2.ListTransitionsRequest())).transitions
    types = {t.type for t in transitions}
    aliases = {a for t in transitions for a in t.aliases}
    assert {"fade", "wipeleft", "circleopen", "revealdown", "hlwind"} <= types
    for name in (
        "zoom",
        "fade",
        "slide",
        "scale",
        "rotate",
        "flip",
        "push",
        "squeeze",
        "diagonal",
        "spiral",
        "wipe-horizontal",
        "wipe-vertical",
        "wipe-diagonal",
        "radial-wipe",
        "dissolve",
        "pixelize",
        "blinds",
        "iris",
        "swirl",
        "zoom-blur",
        "wave",
        "glitch",
        "crossfade",
    ):
        assert name in types or name in aliases, name


async def test_every_video_effect_renders(compiler: Running, media: Media, tmp_path: Path) -> None:
    effects = (await compiler.stub.ListEffects(compiler_pb2.ListEffectsRequest())).effects
    video = [e.type for e in effects if e.kind == compiler_pb2.EFFECT_KIND_VIDEO]
    clips = [
        {
            "id": f"c{i}",
            "source": {"path": str(media.red_green)},
            "start": round(i * CLIP_SECONDS, 3),
            "sourceIn": 0.9,
            "sourceOut": 0.9 + CLIP_SECONDS,
            "effects": [{"type": name}],
        }
        for i, name in enumerate(video)
    ]
    frames = await _render_frames(
        compiler, tmp_path, [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": clips}]
    )
    assert frames == round(len(video) * CLIP_SECONDS * 30)


async def test_every_audio_effect_renders(compiler: Running, media: Media, tmp_path: Path) -> None:
    effects = (await compiler.stub.ListEffects(compiler_pb2.ListEffectsRequest())).effects
    audio = [e.type for e in effects if e.kind == compiler_pb2.EFFECT_KIND_AUDIO]
    clips = [
        {
            "id": f"a{i}",
            "source": {"path": str(media.tone)},
            "start": round(i * CLIP_SECONDS, 3),
            "sourceIn": 0,
            "sourceOut": CLIP_SECONDS,
            "audioEffects": [{"type": name}],
        }
        for i, name in enumerate(audio)
    ]
    length = len(audio) * CLIP_SECONDS
    tracks = [
        {
            "id": "bg",
            "kind": "TRACK_KIND_VIDEO",
            "clips": [
                {"id": "bg", "source": {"color": {"color": "#202020"}}, "start": 0, "duration": length}
            ],
        },
        {"id": "a", "kind": "TRACK_KIND_AUDIO", "clips": clips},
    ]
    frames = await _render_frames(compiler, tmp_path, tracks)
    assert frames == round(length * 30)


async def test_every_transition_renders(compiler: Running, media: Media, tmp_path: Path) -> None:
    transitions = (await compiler.stub.ListTransitions(compiler_pb2.ListTransitionsRequest())).transitions
    names = [t.type for t in transitions] + ["crossfade", "iris", "glitch"]
    overlap = 0.1
    clips = []
    for i in range(len(names) + 1):
        clip = {
            "id": f"c{i}",
            "source": {"path": str(media.red_green if i % 2 else media.blue_yellow)},
            "start": round(i * (CLIP_SECONDS - overlap), 3),
            "sourceIn": 0.5,
            "sourceOut": 0.5 + CLIP_SECONDS,
        }
        if i:
            clip["transition"] = {"type": names[i - 1], "duration": overlap}
        clips.append(clip)
    frames = await _render_frames(
        compiler, tmp_path, [{"id": "v", "kind": "TRACK_KIND_VIDEO", "clips": clips}]
    )
    expected = round(((len(names) + 1) * (CLIP_SECONDS - overlap) + overlap) * 30)
    assert frames == expected


async def _render_frames(compiler: Running, tmp_path: Path, tracks: list[dict]) -> int:  # type: ignore[type-arg]
    out = tmp_path / "catalog.mp4"
    proj = project(
        {
            "settings": {"width": 64, "height": 48, "fps": 30},
            "tracks": tracks,
            "output": {"path": str(out), "preset": "ultrafast"},
        }
    )
    job = await render(compiler, proj)
    assert job.status == compiler_pb2.JOB_STATUS_SUCCEEDED, job.error
    with av.open(str(out)) as container:
        return sum(1 for _ in container.decode(video=0))
