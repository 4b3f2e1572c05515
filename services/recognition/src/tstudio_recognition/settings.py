"""Recognition settings, read once from RECOGNITION_* variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from svckit.settings import ServiceSettings


@dataclass(frozen=True, kw_only=True)
class RecognitionSettings(ServiceSettings):
    port: int = 50053
    # Cached model conversions and the registry of added models.
    data_dir: Path = field(default_factory=lambda: Path("~/.cache/tstudio/recognition").expanduser())
    # Videos and model files must be under these; empty allows every path.
    allowed_roots: tuple[Path, ...] = ()
    # ONNX Runtime threads per session; 0 lets onnxruntime pick (all cores).
    intra_op_threads: int = 0
    inter_op_threads: int = 1
    # "auto" (best of TensorRT, CUDA, CPU that the installed build offers) or an explicit list.
    providers: tuple[str, ...] = ("auto",)
    # Frames per inference call where the model's batch dimension is dynamic.
    batch_size: int = 4
    # Decoded frames held ahead of inference.
    pipeline_depth: int = 8
    # Frames are analysed with their longer side at most this many pixels.
    max_side: int = 640
    cache_entries: int = 32
    max_running_analyses: int = 2
    # Models whose sessions are created at start-up (health turns SERVING after), e.g. "centerface".
    preload_models: tuple[str, ...] = ()
    # FFmpeg decoder threads; 0 means FFmpeg's choice.
    decode_threads: int = 0
