"""Builds the compiler core from settings and its outside parts (shared by `__main__` and tests)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Protocol

from svckit.bus import EventBus
from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots

from tstudio_compiler.adapters.cache_budget import cache_budget
from tstudio_compiler.adapters.captions_file import SubtitleFiles
from tstudio_compiler.adapters.compiler_metrics import CompilerMetrics
from tstudio_compiler.adapters.distributed_jobs import DistributedRenderJobs
from tstudio_compiler.adapters.encoder_probe import ProbedEncoders
from tstudio_compiler.adapters.frame_preview import PyAvFramePreviewer
from tstudio_compiler.adapters.job_journal import SqliteJobJournal, sweep_interrupted
from tstudio_compiler.adapters.media_probe import PyAvProber
from tstudio_compiler.adapters.project_files import JsonProjectFiles
from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer
from tstudio_compiler.adapters.render_events import RenderEvents
from tstudio_compiler.adapters.render_worker_pool import RenderWorkerPool
from tstudio_compiler.adapters.segment_renderer import PyAvSegmentRenderer
from tstudio_compiler.adapters.segmented_renderer import SegmentedRenderer
from tstudio_compiler.adapters.source_files import SourceFiles
from tstudio_compiler.adapters.text_raster import TextImageFolder
from tstudio_compiler.adapters.tone_map_luts import plan_luts
from tstudio_compiler.domain.compiler import Compiler
from tstudio_compiler.domain.effects import EffectCatalog, EffectProvider, builtin_effects
from tstudio_compiler.domain.jobs import JobManager, JobObserver, JobObservers
from tstudio_compiler.domain.ports import FrameEffects, Renderer
from tstudio_compiler.domain.render_jobs import LocalRenderJobs, RenderJobs
from tstudio_compiler.domain.transitions import TransitionCatalog, TransitionProvider, builtin_transitions
from tstudio_compiler.domain.validation import Catalogs, Limits
from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue, QueueConfig
from tstudio_compiler.scale.adapters.jetstream_worker import RenderWorker
from tstudio_compiler.scale.adapters.pyav_joiner import RemuxJoiner
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.settings import CompilerSettings

QUEUES = ("local", "jetstream")


class PluginEffects(EffectProvider, TransitionProvider, FrameEffects, Protocol):
    """Lists plugin effects and transitions and runs them (tstudio_compiler.plugins.registry.PluginRegistry)."""


def limits_from(settings: CompilerSettings) -> Limits:
    return Limits(
        max_tracks=settings.max_tracks,
        max_clips_per_track=settings.max_clips_per_track,
        max_width=settings.max_width,
        max_height=settings.max_height,
        max_fps=settings.max_fps,
        max_duration=settings.max_duration_seconds,
        max_segment_seconds=settings.max_segment_seconds,
        max_picture_pixels=settings.max_picture_pixels,
    )


def build_compiler(
    settings: CompilerSettings,
    bus: EventBus,
    executor: BlockingExecutor,
    plugins: PluginEffects | None = None,
    queue: JetStreamRenderQueue | None = None,
    metrics: CompilerMetrics | None = None,
) -> Compiler:
    """`plugins` (the WASM plugin registry) adds its `plugin:<id>` effects to the catalog and runs them.
    `queue` (started) spreads renders over every replica (COMPILER_QUEUE=jetstream); `metrics` (the
    registered collector) hears finished jobs and reads the queue and the cache."""
    providers: list[EffectProvider] = [plugins] if plugins is not None else []
    transition_providers: list[TransitionProvider] = [plugins] if plugins is not None else []
    transitions = TransitionCatalog(builtin_transitions(), transition_providers)
    catalogs = Catalogs(EffectCatalog(builtin_effects(), providers), transitions)
    sources = source_files(settings)
    renderer = _renderer(settings, plugins, sources)
    uncached = renderer.single_pass if isinstance(renderer, SegmentedRenderer) else None
    cache = renderer.cache if isinstance(renderer, SegmentedRenderer) else None
    events: JobObserver = RenderEvents(bus)
    if metrics is not None:
        events = JobObservers(events, metrics)
    journal = SqliteJobJournal(settings.data_dir.expanduser() / "jobs.sqlite3")
    manager = JobManager(
        settings.max_concurrent_renders, settings.max_queued_renders, events, journal=journal
    )
    # Renders a killed process left behind: FAILED (interrupted) now; their temp files go.
    sweep_interrupted(manager.interrupted)
    if metrics is not None:
        metrics.watch(manager.active, cache)
    local = LocalRenderJobs(manager, renderer, executor, uncached)
    jobs: RenderJobs = (
        local if queue is None else DistributedRenderJobs(queue, local, executor, events, cache)
    )
    return Compiler(
        catalogs=catalogs,
        limits=limits_from(settings),
        paths=AllowedRoots(settings.allowed_roots, settings.base_dir),
        prober=PyAvProber(sources=sources),
        previewer=PyAvFramePreviewer(plugins=plugins, sources=sources),
        text_images=TextImageFolder(settings.data_dir.expanduser() / "text", settings.max_picture_pixels),
        encoders=ProbedEncoders(),
        blocking=executor,
        diagnostics=renderer if isinstance(renderer, SegmentedRenderer) else None,
        jobs=jobs,
        previews_dir=str(_storage(settings) / "previews"),
        captions=SubtitleFiles(),
        command_files=plan_luts,
        probe_timeout=settings.probe_timeout_seconds,
        project_files=JsonProjectFiles(settings.allowed_roots),
    )


def source_files(settings: CompilerSettings) -> SourceFiles:
    """How every source is opened: through svckit.safe_open under the allowed roots, within the
    pixel budget."""
    return SourceFiles(settings.allowed_roots, settings.max_picture_pixels, own_folders=(_storage(settings),))


def _renderer(settings: CompilerSettings, plugins: PluginEffects | None, sources: SourceFiles) -> Renderer:
    single = PyAvRenderer(plugins, sources)
    data = _storage(settings)
    budget = cache_budget(settings.segment_cache_bytes, data)
    if budget <= 0:
        return single
    cache = SegmentCache(data / "segments", budget)
    return SegmentedRenderer(cache, data / "work", single)


def _storage(settings: CompilerSettings) -> Path:
    """Where renders keep segments and previews. With the jetstream queue it is shared: a segment
    any replica rendered is reused by all, and a joined preview is readable from every replica."""
    return (settings.shared_dir if queue_kind(settings) == "jetstream" else settings.data_dir).expanduser()


def queue_kind(settings: CompilerSettings) -> str:
    if settings.queue not in QUEUES:
        raise ValueError(f"COMPILER_QUEUE must be one of {', '.join(QUEUES)}, not {settings.queue!r}")
    return settings.queue


def queue_config(settings: CompilerSettings) -> QueueConfig:
    return QueueConfig(
        work_dir=str(settings.shared_dir.expanduser() / "jobs"), ack_wait=settings.queue_ack_wait_seconds
    )


def build_render_workers(
    settings: CompilerSettings,
    compiler: Compiler,
    queue: JetStreamRenderQueue,
    plugins: PluginEffects | None,
    metrics: CompilerMetrics | None = None,
) -> RenderWorkerPool:
    """This replica's workers on the distributed queue: one per concurrent render it may run."""
    segmented = compiler.diagnostics
    cache = segmented.cache if isinstance(segmented, SegmentedRenderer) else None
    jobs = compiler.jobs
    on_change = jobs.publish if isinstance(jobs, DistributedRenderJobs) else None
    renderer = PyAvSegmentRenderer(PyAvRenderer(plugins, source_files(settings)))
    joiner = RemuxJoiner()
    name = f"{socket.gethostname()}-{os.getpid()}"
    workers = [
        RenderWorker(queue, renderer, joiner, f"{name}-{i}", cache=cache, on_change=on_change)
        for i in range(max(settings.max_concurrent_renders, 1))
    ]
    pool = RenderWorkerPool(queue, workers)
    if metrics is not None:
        metrics.watch(pool.pending_tasks, cache, workers)
    return pool
