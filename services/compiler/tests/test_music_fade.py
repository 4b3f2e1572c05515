"""Background music longer than the timeline keeps its fade-out: it ends where the music is cut."""

from __future__ import annotations

import json

from tstudio_cli.demo_media import DEMO_PROJECT
from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.domain.effects import EffectCatalog, builtin_effects
from tstudio_compiler.domain.planner import Planner
from tstudio_compiler.domain.sources import SourceInfo
from tstudio_compiler.domain.transitions import TransitionCatalog, builtin_transitions

from .conftest import project

SOURCES = {
    "/d/media/a.mp4": SourceInfo(4, True, True),
    "/d/media/b.mp4": SourceInfo(5, True, True),
    "/d/media/c.mp4": SourceInfo(6, True, True),
    "/d/media/logo.png": SourceInfo(0, True, False, is_image=True),
    "/d/media/music.wav": SourceInfo(30, False, True),  # 30 s of music under a 9.5 s timeline
}


def test_fade_out_of_music_cut_by_the_timeline_ends_with_the_timeline() -> None:
    data = json.loads(json.dumps(DEMO_PROJECT))
    music = data["tracks"][2]["clips"][0]
    music.pop("duration", None)
    model = project_from_proto(project(data, "/d"))
    plan = Planner(EffectCatalog(builtin_effects()), TransitionCatalog(builtin_transitions())).plan(
        model, SOURCES
    )
    heard = next(a for a in plan.audio if a.clip_id == "music")
    assert heard.length == 9.5
    fades = [f.render() for f in heard.filters if f.name == "afade"]
    assert "afade=t=out:st=7.5:d=2" in fades, fades
