"""Replay of the frontend's recognition commands (src/features/recognition/hooks/
use-recognition-preview.ts) against the real recognition and media services, with a tiny
YOLO-layout object model registered the way an operator would."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from svckit.bus import InProcessBus
from svckit.testing import free_port, grpc_service

from .conftest import Gateway, MediaProcess, start_gateway
from .test_websocket import ws_url
from .timeline_studio_client import Rejected, TauriSocket, is_number


def tiny_yolo(path: Path) -> Path:
    """Input (1, 3, 64, 64), output (1, 4 + 2, 2): a person (0.9) and a car (0.7) at fixed boxes,
    tied to the input so the model really runs on each frame."""
    import onnx
    from onnx import TensorProto, helper

    table = np.zeros((1, 6, 2), np.float32)
    table[0, :4, 0] = (32, 32, 20, 10)
    table[0, :4, 1] = (16, 16, 8, 8)
    table[0, 4, 0], table[0, 5, 1] = 0.9, 0.7
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["tied"]),
        helper.make_node("Add", ["table", "tied"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 6, 2])],
        initializer=[
            helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.flatten().tolist()),
            helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    entry = model.metadata_props.add()
    entry.key, entry.value = "names", repr({0: "person", 1: "car"})
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def recognition_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("gateway-recognition")
    port = free_port()
    env = {
        **os.environ,
        "RECOGNITION_PORT": str(port),
        "RECOGNITION_DATA_DIR": str(root / "data"),
        "RECOGNITION_LOG_FORMAT": "text",
        "RECOGNITION_INTRA_OP_THREADS": "1",
    }
    with grpc_service("tstudio_recognition", env, port, root / "recognition.log", timeout=90) as address:
        yield address


@pytest.fixture
async def recognition_gateway(
    media_service: MediaProcess, recognition_service: str
) -> AsyncIterator[Gateway]:
    bus = InProcessBus()
    async for running in start_gateway(media_service, None, bus, recognition_addr=recognition_service):
        yield running
    await bus.close()


@pytest.fixture
async def tauri(recognition_gateway: Gateway) -> AsyncIterator[TauriSocket]:
    socket = TauriSocket(
        await recognition_gateway.session.ws_connect(
            ws_url(recognition_gateway), headers=recognition_gateway.headers()
        )
    )
    try:
        yield socket
    finally:
        await socket.close()


async def test_process_video_recognition_answers_yolo_video_data_and_keeps_the_results(
    tauri: TauriSocket, recognition_gateway: Gateway, tmp_path: Path
) -> None:
    # A file of its own: other tests keep preview data about the shared clip.
    video = str(shutil.copy(recognition_gateway.media.video, tmp_path / "clip.mp4"))
    with pytest.raises(Rejected, match="no object detection model is registered"):
        await tauri.invoke("process_video_recognition", {"videoPath": video})
    model = tiny_yolo(tmp_path / "tiny-yolo.onnx")
    sha256 = hashlib.sha256(model.read_bytes()).hexdigest()
    # The operator's step (admin): register the model with its hash.
    reply = await recognition_gateway.invoke(
        "recognition.register_model",
        {"name": "tiny-yolo", "path": str(model), "sha256": sha256, "task": "TASK_OBJECTS"},
    )
    assert reply.status == 200, await reply.text()
    # The frontend had made a thumbnail for this file under its own id first.
    thumb = {"fileId": "rec-1", "filePath": video, "width": 32, "height": 24, "timestamp": 0}
    await tauri.invoke("generate_media_thumbnail", thumb)
    data = await tauri.invoke(
        "process_video_recognition",
        {"videoPath": video, "modelPath": str(model), "targetClasses": ["person"]},
    )
    assert data["videoId"] == "rec-1" and data["videoName"] == "clip.mp4" and data["videoPath"] == video
    assert data["metadata"]["model"] == "tiny-yolo" and isinstance(data["metadata"]["processedAt"], str)
    assert len(data["frames"]) >= 2
    for frame in data["frames"]:
        assert is_number(frame["timestamp"])
        assert [d["class"] for d in frame["detections"]] == ["person"]  # targetClasses filters the car
        detection = frame["detections"][0]
        assert 0.85 <= detection["confidence"] <= 1
        box = detection["bbox"]
        assert all(0 <= box[k] <= 1 for k in ("x", "y", "width", "height"))
    stored = (await tauri.invoke("get_media_preview_data", {"fileId": "rec-1"}))["recognition_results"]
    assert stored["objects"][0]["class"] == "person" and len(stored["objects"][0]["timestamps"]) == len(
        data["frames"]
    )
    assert stored["faces"] == [] and isinstance(stored["processed_at"], str)
    annotated = await tauri.invoke("get_preview_data_with_recognition", {"fileId": "rec-1"})
    assert annotated["file_id"] == "rec-1" and annotated["recognition_results"] == stored
    picture = Image.open(io.BytesIO(base64.b64decode(annotated["preview_with_boxes"])))
    assert picture.format == "JPEG" and picture.size == (32, 24)
    # The clip's frames are one flat colour: the drawn box outlines are what varies.
    assert np.asarray(picture.convert("RGB")).astype(float).std(axis=(0, 1)).max() > 5
    assert await tauri.invoke("get_preview_data_with_recognition", {"fileId": "nothing"}) is None
    assert await tauri.invoke("clear_recognition_results", {"fileId": "rec-1"}) is None
    plain = await tauri.invoke("get_preview_data_with_recognition", {"fileId": "rec-1"})
    assert "preview_with_boxes" not in plain and "browser_thumbnail" in plain
    after = await tauri.invoke("get_media_preview_data", {"fileId": "rec-1"})
    assert "recognition_results" not in after and "browser_thumbnail" in after
    with pytest.raises(Rejected, match="modelPath names no registered object model"):
        await tauri.invoke(
            "process_video_recognition", {"videoPath": video, "modelPath": "/models/other.onnx"}
        )
    with pytest.raises(Rejected, match="targetClasses must be an array of strings"):
        await tauri.invoke("process_video_recognition", {"videoPath": video, "targetClasses": "person"})
    await tauri.invoke("clear_media_preview_data", {"fileId": "rec-1"})
