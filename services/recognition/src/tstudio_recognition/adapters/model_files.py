"""Model files on disk: SHA-256 and the tensors a model declares (read with onnxruntime)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from svckit.errors import FieldViolation, InvalidArgument, NotFound, Resource

from tstudio_recognition.domain.manifest import ModelSignature, TensorSpec


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise NotFound(
            f"no such model file: {path}", reason="FILE_NOT_FOUND", resources=[Resource("file", str(path))]
        ) from None
    return digest.hexdigest()


def _dims(shape: list[object]) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) and d > 0 else None for d in shape)


class OnnxModelFiles:
    def sha256(self, path: str) -> str:
        return file_sha256(path)

    def signature(self, path: str) -> ModelSignature:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own pybind classes (InvalidProtobuf, Fail, ...)
            raise InvalidArgument(
                "the file is not a loadable ONNX model",
                reason="MODEL_INVALID",
                field_violations=[FieldViolation("path", type(exc).__name__)],
                resources=[Resource("file", path)],
            ) from None
        return ModelSignature(
            inputs=tuple(TensorSpec(i.name, _dims(i.shape)) for i in session.get_inputs()),
            outputs=tuple(TensorSpec(o.name, _dims(o.shape)) for o in session.get_outputs()),
            metadata=dict(session.get_modelmeta().custom_metadata_map),
        )
