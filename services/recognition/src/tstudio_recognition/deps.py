"""What the servicer is built from; assembled by `build_deps` (the composition root uses it, and so do tests)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from svckit.bus import EventBus
from svckit.executor import BlockingExecutor
from svckit.paths import AllowedRoots

from tstudio_recognition.adapters.builtin_models import builtin_manifests
from tstudio_recognition.adapters.bus_events import BusJobEvents
from tstudio_recognition.adapters.image_reader import decode_image
from tstudio_recognition.adapters.manifest_store import JsonManifestStore
from tstudio_recognition.adapters.model_files import OnnxModelFiles
from tstudio_recognition.adapters.ort_sessions import OrtSessions, SessionSettings, available_providers
from tstudio_recognition.adapters.video_reader import open_video
from tstudio_recognition.domain.analysis import Analyzer
from tstudio_recognition.domain.jobs import AnalysisJobs
from tstudio_recognition.domain.providers import missing_providers_note, requested_providers
from tstudio_recognition.domain.recognizer import Recognizer
from tstudio_recognition.domain.registry import ModelRegistry
from tstudio_recognition.domain.result_cache import ResultCache
from tstudio_recognition.domain.shots import ShotFinder
from tstudio_recognition.settings import RecognitionSettings

log = logging.getLogger(__name__)


@dataclass
class RecognitionDeps:
    settings: RecognitionSettings
    registry: ModelRegistry
    sessions: OrtSessions
    recognizer: Recognizer
    analyzer: Analyzer
    jobs: AnalysisJobs
    shots: ShotFinder
    executor: BlockingExecutor
    roots: AllowedRoots
    open_video: Callable[[Path], Any]
    decode_image: Callable[[bytes, int], tuple[np.ndarray, tuple[int, int]]]
    runtime_version: str
    available_providers: tuple[str, ...]
    requested_providers: tuple[str, ...]
    # Set when configured providers are not offered by the installed onnxruntime.
    provider_note: str = ""


def build_models(settings: RecognitionSettings) -> tuple[ModelRegistry, OrtSessions]:
    """The registry (built-ins read from their packages; CenterFace converted once) and the session
    pool. Blocking."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    registry = ModelRegistry(
        builtin_manifests(data_dir), JsonManifestStore(data_dir / "models.json"), OnnxModelFiles()
    )
    session_settings = SessionSettings(
        settings.intra_op_threads, settings.inter_op_threads, settings.providers, data_dir / "trt-engines"
    )
    return registry, OrtSessions(registry, session_settings)


def build_deps(
    settings: RecognitionSettings,
    bus: EventBus,
    executor: BlockingExecutor,
    models: tuple[ModelRegistry, OrtSessions] | None = None,
) -> RecognitionDeps:
    """Build everything (blocking). `models` lets tests share one registry and session pool."""
    import onnxruntime

    registry, sessions = models or build_models(settings)
    recognizer = Recognizer(registry, sessions)
    analyzer = Analyzer(
        recognizer,
        executor.run,
        max_side=settings.max_side,
        batch_size=settings.batch_size,
        pipeline_depth=settings.pipeline_depth,
        cache=ResultCache(settings.cache_entries),
    )
    jobs = AnalysisJobs(analyzer, BusJobEvents(bus), max_running=settings.max_running_analyses)
    available = available_providers()
    note = missing_providers_note(settings.providers, available)
    if note:
        log.warning("execution providers: %s", note)
    return RecognitionDeps(
        settings=settings,
        registry=registry,
        sessions=sessions,
        recognizer=recognizer,
        analyzer=analyzer,
        jobs=jobs,
        shots=ShotFinder(executor.run, ResultCache(settings.cache_entries)),
        executor=executor,
        roots=AllowedRoots(settings.allowed_roots, settings.base_dir),
        open_video=lambda path: open_video(path, settings.decode_threads),
        decode_image=decode_image,
        runtime_version=onnxruntime.__version__,
        available_providers=available,
        requested_providers=tuple(requested_providers(settings.providers, available)),
        provider_note=note,
    )
