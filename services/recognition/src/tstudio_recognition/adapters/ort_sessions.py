"""ONNX Runtime sessions: one per model, created on first use and reused, with the thread counts and
execution providers from settings. A GPU provider that fails to start falls back to CPU, logged and
reported in `status()`, never silently."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from svckit.errors import DataLoss, FailedPrecondition, InvalidArgument, Resource

from tstudio_recognition.adapters.inference_metrics import INFERENCE_SECONDS
from tstudio_recognition.adapters.model_files import file_sha256
from tstudio_recognition.domain.manifest import ModelManifest
from tstudio_recognition.domain.providers import ProviderReport, requested_providers
from tstudio_recognition.domain.registry import ModelRegistry

log = logging.getLogger(__name__)


def available_providers() -> tuple[str, ...]:
    import onnxruntime as ort

    return tuple(ort.get_available_providers())


class OrtSession:
    """A loaded model (satisfies domain.session.ModelSession)."""

    def __init__(self, manifest: ModelManifest, session: Any, report: ProviderReport) -> None:
        self.manifest = manifest
        self.report = report
        self._session = session
        self._inputs = tuple(i.name for i in session.get_inputs())
        self._outputs = [o.name for o in session.get_outputs()]
        self.batch_dynamic = not isinstance(session.get_inputs()[0].shape[0], int)
        self._observe = INFERENCE_SECONDS.labels(manifest.name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return self._inputs

    def run(self, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        started = time.perf_counter()
        try:
            return list(self._session.run(self._outputs, dict(feed)))
        except Exception as exc:  # onnxruntime's pybind errors: shape/type mismatches at run time
            raise FailedPrecondition(
                f"model {self.manifest.name!r} failed to run: {type(exc).__name__}",
                reason="MODEL_RUN_FAILED",
                resources=[Resource("model", self.manifest.name)],
            ) from exc
        finally:
            self._observe.observe(time.perf_counter() - started)


@dataclass(frozen=True)
class SessionSettings:
    intra_op_threads: int = 0
    inter_op_threads: int = 1
    providers: tuple[str, ...] = ("auto",)
    # TensorRT engines are slow to build; they are kept here between runs (None: not cached).
    engine_cache_dir: Path | None = None


def with_options(providers: list[str], settings: SessionSettings) -> list[Any]:
    """Provider names with their options: TensorRT caches its engines (and uses FP16 where the GPU can)."""
    out: list[Any] = []
    for name in providers:
        if name == "TensorrtExecutionProvider" and settings.engine_cache_dir is not None:
            settings.engine_cache_dir.mkdir(parents=True, exist_ok=True)
            out.append(
                (
                    name,
                    {
                        "trt_engine_cache_enable": True,
                        "trt_engine_cache_path": str(settings.engine_cache_dir),
                        "trt_fp16_enable": True,
                    },
                )
            )
        else:
            out.append(name)
    return out


class OrtSessions:
    def __init__(self, registry: ModelRegistry, settings: SessionSettings) -> None:
        self._registry = registry
        self._settings = settings
        self._sessions: dict[str, OrtSession] = {}
        self._lock = threading.Lock()
        self._creating: dict[str, threading.Lock] = {}

    def session(self, name: str) -> OrtSession:
        manifest = self._registry.get(name)
        with self._lock:
            current = self._sessions.get(name)
            if current is not None and current.manifest == manifest:
                return current
            creating = self._creating.setdefault(name, threading.Lock())
        # One creation per model even when several requests ask at once.
        with creating:
            with self._lock:
                current = self._sessions.get(name)
                if current is not None and current.manifest == manifest:
                    return current
            created = self._create(manifest)
            with self._lock:
                self._sessions[name] = created
            return created

    def drop(self, name: str) -> None:
        with self._lock:
            self._sessions.pop(name, None)

    def loaded(self) -> dict[str, ProviderReport]:
        with self._lock:
            return {name: s.report for name, s in self._sessions.items()}

    def _create(self, manifest: ModelManifest) -> OrtSession:
        import onnxruntime as ort

        if not manifest.builtin and file_sha256(manifest.path) != manifest.sha256:
            raise DataLoss(
                f"model file of {manifest.name!r} changed since it was registered",
                reason="MODEL_HASH_MISMATCH",
                resources=[Resource("model", manifest.name), Resource("file", manifest.path)],
            )
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = self._settings.intra_op_threads
        options.inter_op_num_threads = self._settings.inter_op_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        wanted = requested_providers(self._settings.providers, available_providers())
        try:
            session = ort.InferenceSession(
                manifest.path, sess_options=options, providers=with_options(wanted, self._settings)
            )
        except Exception as exc:
            if wanted == ["CPUExecutionProvider"]:
                raise InvalidArgument(
                    f"model {manifest.name!r} cannot be loaded: {type(exc).__name__}",
                    reason="MODEL_INVALID",
                    resources=[Resource("model", manifest.name)],
                ) from exc
            log.warning("creating %s with %s failed (%s); retrying on CPU", manifest.name, wanted, exc)
            session = ort.InferenceSession(
                manifest.path, sess_options=options, providers=["CPUExecutionProvider"]
            )
        report = ProviderReport(tuple(wanted), tuple(session.get_providers()))
        if report.fallback:
            log.warning("model %s: %s", manifest.name, report.fallback)
        log.info("loaded model %s on %s", manifest.name, report.primary)
        return OrtSession(manifest, session, report)
