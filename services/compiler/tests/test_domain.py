"""Domain units without sockets or media: planning, filter syntax, validation, the job manager."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from svckit.errors import Cancelled, ResourceExhausted
from tstudio_cli.demo_media import DEMO_PROJECT
from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.domain.effects import EffectCatalog, EffectDef, EffectKind, builtin_effects
from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.jobs import JobManager, JobStatus
from tstudio_compiler.domain.planner import Planner
from tstudio_compiler.domain.ports import RenderStats
from tstudio_compiler.domain.sources import SourceInfo
from tstudio_compiler.domain.transitions import TransitionCatalog, builtin_transitions
from tstudio_compiler.domain.validation import Catalogs, Limits, validate

from .conftest import project

CATALOGS = Catalogs(EffectCatalog(builtin_effects()), TransitionCatalog(builtin_transitions()))
DEMO_SOURCES = {
    "/d/media/a.mp4": SourceInfo(4, True, True),
    "/d/media/b.mp4": SourceInfo(5, True, True),
    "/d/media/c.mp4": SourceInfo(6, True, True),
    "/d/media/logo.png": SourceInfo(0, True, False, is_image=True),
    "/d/media/music.wav": SourceInfo(10, False, True),
}


def demo():  # type: ignore[no-untyped-def]
    return project_from_proto(project(json.loads(json.dumps(DEMO_PROJECT)), "/d"))


def test_demo_is_valid_and_cut_at_every_boundary() -> None:
    model = demo()
    assert validate(model, CATALOGS, Limits(), {p: s.duration for p, s in DEMO_SOURCES.items()}) == []
    plan = Planner(CATALOGS.effects, CATALOGS.transitions).plan(model, DEMO_SOURCES)
    assert plan.frames == 285
    cuts = [(s.start_frame, s.end_frame) for s in plan.segments]
    # title 15..75, crossfade 90..120, wipe 195..210, end 285
    assert cuts == [(0, 15), (15, 75), (75, 90), (90, 120), (120, 195), (195, 210), (210, 285)]
    assert plan.segments[1].clip_ids == ("c1", "title", "logo")
    crossfade = plan.segments[3].graph.graph.render()
    assert "xfade=transition=fade:duration=1:offset=0" in crossfade
    # The music is cut where the picture ends and mixed once for the whole timeline.
    assert [a.clip_id for a in plan.audio] == ["c1", "c2", "c3", "music"]
    assert plan.audio[-1].length == 9.5


def test_filter_arguments_with_separators_are_quoted() -> None:
    assert Filter("lutyuv", "y=val+25").render() == "lutyuv=y=val+25"
    assert Filter("lutrgb", r"r=if(gt(val\,1)\,2\,3)").render() == r"lutrgb='r=if(gt(val\,1)\,2\,3)'"


def test_limits_are_configurable() -> None:
    model = demo()
    problems = validate(model, CATALOGS, Limits(max_tracks=2, max_clips_per_track=2, max_width=640))
    fields = {f for f, _ in problems}
    assert {"tracks", "tracks[0].clips", "settings.width"} <= fields


def test_plugin_effects_come_from_a_provider() -> None:
    class Plugins:
        def effects(self):  # type: ignore[no-untyped-def]
            return [
                EffectDef("plugin:invert", "Invert (wasm)", EffectKind.VIDEO, "plugin", (), None, "plugin")
            ]

    catalog = EffectCatalog(builtin_effects(), [Plugins()])
    assert catalog.get("plugin:invert") is not None
    assert catalog.get("plugin:other") is None
    assert any(e.origin == "plugin" for e in catalog.all())


def _stats() -> RenderStats:
    return RenderStats("/x.mp4", 1, 1.0, 1, "libx264", "", 1, 0, 0.1)


async def test_job_manager_bounds_the_queue_and_cancels_running_work() -> None:
    jobs = JobManager(max_concurrent=1, max_queued=1)
    started = threading.Event()

    async def slow(progress, cancelled):  # type: ignore[no-untyped-def]
        started.set()
        while not cancelled.is_set():
            progress(1, 10, "running")
            await asyncio.sleep(0.01)
        raise Cancelled("stopped")

    first = jobs.submit("a", "/a.mp4", slow)
    second = jobs.submit("b", "/b.mp4", slow)
    with pytest.raises(ResourceExhausted):
        jobs.submit("c", "/c.mp4", slow)
    await asyncio.to_thread(started.wait, 5)
    assert jobs.get(first.id).status is JobStatus.RUNNING
    assert jobs.get(second.id).status is JobStatus.QUEUED
    assert (await jobs.cancel(second.id)).status is JobStatus.CANCELLED
    assert (await jobs.cancel(first.id)).status is JobStatus.CANCELLED

    async def quick(progress, cancelled):  # type: ignore[no-untyped-def]
        return _stats()

    third = jobs.submit("c", "/c.mp4", quick)
    states = [view.status async for view in jobs.watch(third.id)]
    assert states[-1] is JobStatus.SUCCEEDED
