"""Runs the requested tasks on frames with the right models, and checks requests before any work."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from svckit.errors import FieldViolation, InvalidArgument

from tstudio_recognition.domain.detections import Detection, Task
from tstudio_recognition.domain.faces import FaceDetector
from tstudio_recognition.domain.manifest import Decoder, ModelManifest
from tstudio_recognition.domain.objects import ObjectDetector
from tstudio_recognition.domain.registry import (
    DEFAULT_FACES,
    TEXT_DETECTOR,
    TEXT_ORIENTATION,
    TEXT_RECOGNISER,
    ModelRegistry,
)
from tstudio_recognition.domain.session import SessionProvider
from tstudio_recognition.domain.text import TextReader


@dataclass(frozen=True)
class DetectParams:
    tasks: tuple[Task, ...]
    classes: tuple[str, ...] = ()
    # 0 means each model's default.
    min_score: float = 0.0
    object_model: str = ""


def check_detect_params(
    tasks: Collection[Task | None], classes: Collection[str], min_score: float, object_model: str
) -> DetectParams:
    """Validate a request's task list and thresholds; `None` stands for an unknown or unspecified task."""
    violations = []
    if not tasks:
        violations.append(FieldViolation("tasks", "at least one task is required"))
    if any(t is None for t in tasks):
        violations.append(FieldViolation("tasks", "TASK_UNSPECIFIED or an unknown task"))
    if math.isnan(min_score) or not 0 <= min_score <= 1:
        violations.append(
            FieldViolation("min_score", "must be between 0 and 1 (0 means the model's default)")
        )
    if any(not c.strip() for c in classes):
        violations.append(FieldViolation("classes", "class names must not be empty"))
    if violations:
        raise InvalidArgument("invalid detection request", field_violations=violations)
    ordered = tuple(dict.fromkeys(t for t in tasks if t is not None))
    return DetectParams(ordered, tuple(sorted(set(classes))), float(min_score), object_model)


class Recognizer:
    def __init__(self, registry: ModelRegistry, sessions: SessionProvider) -> None:
        self._registry = registry
        self._sessions = sessions

    def models_for(self, params: DetectParams) -> list[ModelManifest]:
        """The models a request will run (fails early on an unknown or unusable object model)."""
        models: list[ModelManifest] = []
        for task in params.tasks:
            if task is Task.FACES:
                models.append(self._registry.get(DEFAULT_FACES))
            elif task is Task.TEXT:
                models.extend(
                    self._registry.get(n) for n in (TEXT_DETECTOR, TEXT_RECOGNISER, TEXT_ORIENTATION)
                )
            elif task is Task.OBJECTS:
                models.append(self._object_manifest(params.object_model))
        return models

    def _object_manifest(self, name: str) -> ModelManifest:
        if not name:
            return self._registry.default_object_model()
        manifest = self._registry.get(name, field="object_model")
        if manifest.decoder is not Decoder.YOLO:
            raise InvalidArgument(
                f"{name!r} is not an object detector",
                reason="MODEL_WRONG_TASK",
                field_violations=[FieldViolation("object_model", "must name a model of task OBJECTS")],
            )
        return manifest

    def detect(self, frames: list[np.ndarray], params: DetectParams) -> list[list[Detection]]:
        """Every requested task on every frame (RGB, sides multiples of 32); blocking, run it in a pool."""
        results: list[list[Detection]] = [[] for _ in frames]
        for task in params.tasks:
            if task is Task.FACES:
                found = self._faces().detect(frames, params.min_score)
            elif task is Task.TEXT:
                found = self._text().detect(frames, params.min_score)
            else:
                found = self._objects(params.object_model).detect(frames, params.min_score, params.classes)
            for bucket, detections in zip(results, found, strict=True):
                bucket.extend(detections)
        return results

    def _faces(self) -> FaceDetector:
        manifest = self._registry.get(DEFAULT_FACES)
        return FaceDetector(self._sessions.session(manifest.name), manifest.default_score)

    def _text(self) -> TextReader:
        rec = self._registry.get(TEXT_RECOGNISER)
        return TextReader(
            self._sessions.session(TEXT_DETECTOR),
            self._sessions.session(TEXT_RECOGNISER),
            rec.labels,
            self._sessions.session(TEXT_ORIENTATION),
            rec.default_score,
        )

    def _objects(self, name: str) -> ObjectDetector:
        manifest = self._object_manifest(name)
        session = self._sessions.session(manifest.name)
        return ObjectDetector(session, manifest, batchable=session.batch_dynamic)
