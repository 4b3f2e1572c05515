"""Builds the compiler core from settings and its outside parts (shared by `__main__` and tests)."""

from __future__ import annotations

from typing import Protocol

from svckit.bus import EventBus
from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots

from tstudio_compiler.adapters.encoder_probe import ProbedEncoders
from tstudio_compiler.adapters.frame_preview import PyAvFramePreviewer
from tstudio_compiler.adapters.media_probe import PyAvProber
from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer
from tstudio_compiler.adapters.render_events import RenderEvents
from tstudio_compiler.adapters.segmented_renderer import SegmentedRenderer
from tstudio_compiler.adapters.text_raster import TextImageFolder
from tstudio_compiler.domain.compiler import Compiler
from tstudio_compiler.domain.effects import EffectCatalog, EffectProvider, builtin_effects
from tstudio_compiler.domain.jobs import JobManager
from tstudio_compiler.domain.ports import FrameEffects, Renderer
from tstudio_compiler.domain.render_jobs import LocalRenderJobs
from tstudio_compiler.domain.transitions import TransitionCatalog, builtin_transitions
from tstudio_compiler.domain.validation import Catalogs, Limits
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.settings import CompilerSettings


class PluginEffects(EffectProvider, FrameEffects, Protocol):
    """Lists plugin effects and runs them (tstudio_compiler.plugins.registry.PluginRegistry)."""


def limits_from(settings: CompilerSettings) -> Limits:
    return Limits(
        max_tracks=settings.max_tracks,
        max_clips_per_track=settings.max_clips_per_track,
        max_width=settings.max_width,
        max_height=settings.max_height,
        max_fps=settings.max_fps,
        max_duration=settings.max_duration_seconds,
    )


def build_compiler(
    settings: CompilerSettings,
    bus: EventBus,
    executor: BlockingExecutor,
    plugins: PluginEffects | None = None,
) -> Compiler:
    """`plugins` (the WASM plugin registry) adds its `plugin:<id>` effects to the catalog and runs them."""
    providers: list[EffectProvider] = [plugins] if plugins is not None else []
    catalogs = Catalogs(EffectCatalog(builtin_effects(), providers), TransitionCatalog(builtin_transitions()))
    renderer = _renderer(settings, plugins)
    uncached = renderer.single_pass if isinstance(renderer, SegmentedRenderer) else None
    manager = JobManager(settings.max_concurrent_renders, settings.max_queued_renders, RenderEvents(bus))
    return Compiler(
        catalogs=catalogs,
        limits=limits_from(settings),
        paths=AllowedRoots(settings.allowed_roots),
        prober=PyAvProber(),
        previewer=PyAvFramePreviewer(plugins=plugins),
        text_images=TextImageFolder(settings.data_dir.expanduser() / "text"),
        encoders=ProbedEncoders(),
        blocking=executor,
        diagnostics=renderer if isinstance(renderer, SegmentedRenderer) else None,
        jobs=LocalRenderJobs(manager, renderer, executor, uncached),
    )


def _renderer(settings: CompilerSettings, plugins: PluginEffects | None) -> Renderer:
    single = PyAvRenderer(plugins)
    if settings.segment_cache_bytes <= 0:
        return single
    data = settings.data_dir.expanduser()
    cache = SegmentCache(data / "segments", settings.segment_cache_bytes)
    return SegmentedRenderer(cache, data / "work", single)
