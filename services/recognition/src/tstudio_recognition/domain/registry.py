"""The model registry: built-in models from installed packages plus detectors an operator adds by path."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Protocol

from svckit.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Resource,
)

from tstudio_recognition.domain.detections import Task
from tstudio_recognition.domain.manifest import Decoder, ModelManifest, ModelSignature
from tstudio_recognition.domain.objects import check_yolo_signature, labels_from_metadata

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# The models each task runs by default (the text task chains three).
DEFAULT_FACES = "centerface"
TEXT_DETECTOR = "ppocr-det"
TEXT_RECOGNISER = "ppocr-rec"
TEXT_ORIENTATION = "ppocr-cls"


class ModelFiles(Protocol):
    """Reads model files: their hash and their declared tensors (raises InvalidArgument for a file
    that is not a loadable model)."""

    def sha256(self, path: str) -> str: ...

    def signature(self, path: str) -> ModelSignature: ...


class ManifestStore(Protocol):
    """Keeps the registered (not built-in) manifests across restarts."""

    def load(self) -> list[ModelManifest]: ...

    def save(self, manifests: list[ModelManifest]) -> None: ...


class ModelRegistry:
    def __init__(self, builtins: Iterable[ModelManifest], store: ManifestStore, files: ModelFiles) -> None:
        self._builtins = {m.name: m for m in builtins}
        self._store = store
        self._files = files
        self._lock = threading.Lock()
        self._registered = {m.name: m for m in store.load() if m.name not in self._builtins}

    def list(self) -> list[ModelManifest]:
        with self._lock:
            return sorted([*self._builtins.values(), *self._registered.values()], key=lambda m: m.name)

    def get(self, name: str, field: str = "name") -> ModelManifest:
        with self._lock:
            manifest = self._builtins.get(name) or self._registered.get(name)
        if manifest is None:
            raise NotFound(
                f"no model named {name!r}",
                reason="MODEL_NOT_FOUND",
                resources=[Resource("model", name)],
                field_violations=[FieldViolation(field, "unknown model name")] if not name else [],
            )
        return manifest

    def default_object_model(self) -> ModelManifest:
        """The first registered object detector; there is no built-in one (users bring e.g. yolo11n.onnx)."""
        with self._lock:
            found = sorted(m.name for m in self._registered.values() if m.task is Task.OBJECTS)
        if not found:
            raise FailedPrecondition(
                "no object detection model is registered: add one with RegisterModel (e.g. yolo11n.onnx)",
                reason="NO_OBJECT_MODEL",
            )
        return self.get(found[0])

    def register(
        self,
        name: str,
        path: str,
        sha256: str,
        task: Task | None,
        labels: tuple[str, ...] = (),
        default_score: float = 0.0,
        description: str = "",
    ) -> ModelManifest:
        """Add a YOLO-layout detector by path. The file must hash to `sha256` and its tensors must
        fit the decoder; labels come from the request or the model's `names` metadata."""
        violations = []
        if not _NAME.match(name):
            violations.append(
                FieldViolation("name", "lower-case letters, digits, '.', '_' or '-', at most 64")
            )
        if not _SHA256.match(sha256.lower()):
            violations.append(FieldViolation("sha256", "the file's SHA-256 as 64 hex digits is required"))
        if task is not Task.OBJECTS:
            violations.append(
                FieldViolation("task", "only object detectors (YOLOv8/11 output layout) can be added")
            )
        if not 0 <= default_score < 1:
            violations.append(FieldViolation("default_score", "must be in [0, 1)"))
        if violations:
            raise InvalidArgument("invalid model registration", field_violations=violations)
        if name in self._builtins:
            raise AlreadyExists(
                f"{name!r} is a built-in model", reason="MODEL_EXISTS", resources=[Resource("model", name)]
            )
        actual = self._files.sha256(path)
        if actual != sha256.lower():
            raise InvalidArgument(
                "the model file's SHA-256 does not match",
                reason="MODEL_HASH_MISMATCH",
                field_violations=[FieldViolation("sha256", f"the file hashes to {actual}")],
                resources=[Resource("file", path)],
            )
        signature = self._files.signature(path)
        labels = labels or labels_from_metadata(signature.metadata)
        width, height = check_yolo_signature(signature, labels)
        manifest = ModelManifest(
            name=name,
            task=Task.OBJECTS,
            decoder=Decoder.YOLO,
            path=path,
            sha256=actual,
            source=f"registered:{path}",
            input_width=width,
            input_height=height,
            labels=labels,
            default_score=default_score or 0.25,
            description=description,
        )
        with self._lock:
            if name in self._registered:
                raise AlreadyExists(
                    f"a model named {name!r} exists; remove it first",
                    reason="MODEL_EXISTS",
                    resources=[Resource("model", name)],
                )
            self._registered[name] = manifest
            self._store.save(list(self._registered.values()))
        return manifest

    def remove(self, name: str) -> ModelManifest:
        manifest = self.get(name)
        if manifest.builtin:
            raise FailedPrecondition(
                f"{name!r} is built in and cannot be removed",
                reason="MODEL_BUILTIN",
                resources=[Resource("model", name)],
            )
        with self._lock:
            self._registered.pop(name, None)
            self._store.save(list(self._registered.values()))
        return manifest
