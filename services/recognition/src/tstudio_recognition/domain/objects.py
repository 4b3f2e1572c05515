"""Object detection for the YOLOv8/YOLO11 output layout: one tensor (B, 4 + C, N) holding, per
candidate, the box centre and size in input pixels and one score per class (no objectness)."""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping

import numpy as np
from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument

from tstudio_recognition.domain.detections import Detection, Task, normalised
from tstudio_recognition.domain.image_ops import Letterbox, letterbox, to_nchw
from tstudio_recognition.domain.manifest import ModelManifest, ModelSignature
from tstudio_recognition.domain.nms import batched_nms
from tstudio_recognition.domain.session import ModelSession

NMS_IOU = 0.45
MAX_DETECTIONS = 300


def decode_yolo(
    output: np.ndarray,
    labels: tuple[str, ...],
    threshold: float,
    classes: Collection[str] = (),
    iou: float = NMS_IOU,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One image's output (4 + C, N) to model-input pixel boxes `xyxy`, scores and class indices,
    after the class filter, the score threshold and per-class NMS."""
    if output.ndim != 2 or output.shape[0] != 4 + len(labels):
        raise FailedPrecondition(
            f"model output {tuple(output.shape)} does not fit the YOLO layout (4 + {len(labels)} classes, N)",
            reason="MODEL_OUTPUT_MISMATCH",
        )
    scores_all = output[4:]
    if classes:
        wanted = np.array([label in classes for label in labels])
        scores_all = np.where(wanted[:, None], scores_all, 0.0)
    class_ids = scores_all.argmax(axis=0)
    scores = scores_all[class_ids, np.arange(scores_all.shape[1])]
    mask = scores > threshold
    if not mask.any():
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    cx, cy, w, h = output[:4, mask]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    scores, class_ids = scores[mask].astype(np.float32), class_ids[mask]
    keep = batched_nms(boxes, scores, class_ids, iou)[:MAX_DETECTIONS]
    return boxes[keep], scores[keep], class_ids[keep]


def labels_from_metadata(metadata: Mapping[str, str]) -> tuple[str, ...]:
    """Class names as Ultralytics exporters store them: `names` = "{0: 'person', 1: 'bicycle', ...}"."""
    raw = metadata.get("names", "")
    if not raw:
        return ()
    try:
        names = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return ()
    if isinstance(names, dict):
        return tuple(str(names[key]) for key in sorted(names))
    if isinstance(names, list | tuple):
        return tuple(str(name) for name in names)
    return ()


def check_yolo_signature(signature: ModelSignature, labels: tuple[str, ...]) -> tuple[int, int]:
    """Refuse a model whose tensors do not fit the YOLO decoder; returns its input (width, height)."""
    if len(signature.inputs) != 1 or len(signature.inputs[0].shape) != 4:
        raise InvalidArgument(
            "a YOLO model takes one NCHW image input",
            reason="MODEL_OUTPUT_MISMATCH",
            field_violations=[FieldViolation("path", "model input is not a single NCHW tensor")],
        )
    _, channels, height, width = signature.inputs[0].shape
    if channels not in (3, None):
        raise InvalidArgument(
            "a YOLO model takes 3-channel images",
            reason="MODEL_OUTPUT_MISMATCH",
            field_violations=[FieldViolation("path", f"input has {channels} channels")],
        )
    if len(signature.outputs) < 1 or len(signature.outputs[0].shape) != 3:
        raise InvalidArgument(
            "a YOLO model has one output of shape (batch, 4 + classes, candidates)",
            reason="MODEL_OUTPUT_MISMATCH",
            field_violations=[FieldViolation("path", "output is not rank 3")],
        )
    rows = signature.outputs[0].shape[1]
    if not labels:
        raise InvalidArgument(
            "the model's class names are unknown: give labels, or use a model whose metadata has `names`",
            reason="MODEL_LABELS_MISSING",
            field_violations=[FieldViolation("labels", "required for this model")],
        )
    if rows is not None and rows != 4 + len(labels):
        raise InvalidArgument(
            f"model output has {rows} rows per candidate but {len(labels)} labels need {4 + len(labels)}",
            reason="MODEL_OUTPUT_MISMATCH",
            field_violations=[FieldViolation("labels", f"expected {rows - 4} labels")],
        )
    return (width or 640, height or 640)


class ObjectDetector:
    """Letterboxes frames to the model input, runs it (batched when the model's batch is dynamic),
    decodes and maps boxes back to the frame."""

    def __init__(self, session: ModelSession, manifest: ModelManifest, batchable: bool = False) -> None:
        self._session = session
        self._manifest = manifest
        self._batchable = batchable

    def detect(
        self, frames: list[np.ndarray], min_score: float = 0.0, classes: Collection[str] = ()
    ) -> list[list[Detection]]:
        manifest = self._manifest
        threshold = min_score or manifest.default_score
        width, height = manifest.input_width or 640, manifest.input_height or 640
        boxed = [letterbox(frame, width, height) for frame in frames]
        canvases = [canvas for canvas, _ in boxed]
        outputs: list[np.ndarray] = []
        groups = [canvases] if self._batchable else [[canvas] for canvas in canvases]
        name = self._session.input_names[0]
        for group in groups:
            out = self._session.run({name: to_nchw(group, scale=1 / 255)})[0]
            outputs.extend(out[i] for i in range(out.shape[0]))
        results = []
        for frame, (_, mapping), output in zip(frames, boxed, outputs, strict=True):
            results.append(self._to_detections(frame, mapping, output, threshold, classes))
        return results

    def _to_detections(
        self,
        frame: np.ndarray,
        mapping: Letterbox,
        output: np.ndarray,
        threshold: float,
        classes: Collection[str],
    ) -> list[Detection]:
        labels = self._manifest.labels
        boxes, scores, class_ids = decode_yolo(output, labels, threshold, classes)
        boxes = mapping.to_frame(boxes)
        size = (frame.shape[1], frame.shape[0])
        return [
            normalised(Task.OBJECTS, labels[c], s, tuple(b), size)
            for b, s, c in zip(boxes, scores, class_ids, strict=True)
        ]
