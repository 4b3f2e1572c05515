"""DetectImage over real gRPC with the real built-in models."""

from __future__ import annotations

from typing import Any

import grpc
import numpy as np
import pytest
from svckit.grpc_errors import error_details
from tstudio.recognition.v1 import recognition_pb2 as pb

Recognition = Any


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


async def test_astronaut_photo_has_exactly_one_face_in_the_right_place(
    recognition: Recognition, kit: Any
) -> None:
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=kit.png_bytes(kit.astronaut()), tasks=[pb.TASK_FACES])
    )
    assert (reply.width, reply.height) == (512, 512)
    assert len(reply.detections) == 1
    face = reply.detections[0]
    assert face.task == pb.TASK_FACES and face.label == "face" and face.score > 0.5
    found = (face.box.x, face.box.y, face.box.x + face.box.width, face.box.y + face.box.height)
    truth = tuple(v / 512 for v in kit.ASTRONAUT_FACE)
    assert iou(found, truth) > 0.6, (found, truth)


async def test_blank_frame_has_no_faces(recognition: Recognition, kit: Any) -> None:
    blank = np.full((240, 320, 3), 200, np.uint8)
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=kit.png_bytes(blank), tasks=[pb.TASK_FACES])
    )
    assert list(reply.detections) == []


async def test_text_is_read_back(recognition: Recognition, kit: Any) -> None:
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=kit.png_bytes(kit.text_frame("HELLO 123")), tasks=[pb.TASK_TEXT])
    )
    assert [d.text for d in reply.detections] == ["HELLO 123"]
    box = reply.detections[0].box
    # Drawn at (20, 90) in a 320x240 frame.
    assert 0.0 < box.x < 0.1 and 0.3 < box.y < 0.45


async def test_objects_are_letterboxed_decoded_and_suppressed(
    recognition: Recognition, yolo_model: Any, kit: Any
) -> None:
    path = yolo_model()
    await recognition.stub.RegisterModel(
        pb.RegisterModelRequest(
            name="tiny-yolo", path=str(path), sha256=kit.sha256_of(path), task=pb.TASK_OBJECTS
        )
    )
    # 320x160 into a 64x64 input: scale 0.2, 16 px of padding above and below.
    frame = np.zeros((160, 320, 3), np.uint8)
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=kit.png_bytes(frame), tasks=[pb.TASK_OBJECTS], object_model="tiny-yolo")
    )
    found = sorted((d.label, round(d.score, 3)) for d in reply.detections)
    # The second person overlaps the first (NMS), the car is another class (kept), the dog is below 0.25.
    assert found == [("car", 0.7), ("person", 0.9)]
    person = next(d for d in reply.detections if d.label == "person")
    # Candidate (cx 32, cy 32, 20x10) -> frame pixels (110, 55)-(210, 105).
    assert person.box.x == pytest.approx(110 / 320, abs=1e-4)
    assert person.box.y == pytest.approx(55 / 160, abs=1e-4)
    assert person.box.width == pytest.approx(100 / 320, abs=1e-4)
    assert person.box.height == pytest.approx(50 / 160, abs=1e-4)

    only_cars = await recognition.stub.DetectImage(
        pb.DetectImageRequest(
            image=kit.png_bytes(frame), tasks=[pb.TASK_OBJECTS], object_model="tiny-yolo", classes=["car"]
        )
    )
    assert [d.label for d in only_cars.detections] == ["car"]
    strict = await recognition.stub.DetectImage(
        pb.DetectImageRequest(
            image=kit.png_bytes(frame), tasks=[pb.TASK_OBJECTS], object_model="tiny-yolo", min_score=0.85
        )
    )
    assert [d.label for d in strict.detections] == ["person"]


@pytest.mark.parametrize(
    ("request_fields", "code", "field"),
    [
        (
            {"image": b"not an image at all", "tasks": [pb.TASK_FACES]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "image",
        ),
        ({"image": b"", "tasks": [pb.TASK_FACES]}, grpc.StatusCode.INVALID_ARGUMENT, "image"),
        (
            {"image": b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "tasks": [pb.TASK_FACES]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "image",
        ),
        ({"tasks": []}, grpc.StatusCode.INVALID_ARGUMENT, "tasks"),
        ({"tasks": [pb.TASK_UNSPECIFIED]}, grpc.StatusCode.INVALID_ARGUMENT, "tasks"),
        ({"tasks": [pb.TASK_FACES], "min_score": 1.5}, grpc.StatusCode.INVALID_ARGUMENT, "min_score"),
        ({"tasks": [pb.TASK_FACES], "min_score": -0.1}, grpc.StatusCode.INVALID_ARGUMENT, "min_score"),
        ({"tasks": [pb.TASK_OBJECTS], "object_model": "no-such-model"}, grpc.StatusCode.NOT_FOUND, None),
        (
            {"tasks": [pb.TASK_OBJECTS], "object_model": "centerface"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "object_model",
        ),
        ({"tasks": [pb.TASK_OBJECTS]}, grpc.StatusCode.FAILED_PRECONDITION, None),
    ],
)
async def test_bad_requests_get_clear_statuses_and_the_service_keeps_serving(
    recognition: Recognition, kit: Any, request_fields: dict, code: grpc.StatusCode, field: str | None
) -> None:
    fields = {"image": kit.png_bytes(np.zeros((64, 64, 3), np.uint8)), **request_fields}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.DetectImage(pb.DetectImageRequest(**fields))
    details = error_details(caught.value)
    assert details.code == code, details
    if field:
        assert field in [v.field for v in details.field_violations]
    assert (await recognition.stub.ListModels(pb.ListModelsRequest())).models


async def test_a_decompression_bomb_is_refused(recognition: Recognition) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, format="PNG")  # a few kB that would decode to 430 MB of RGB
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.DetectImage(pb.DetectImageRequest(image=out.getvalue(), tasks=[pb.TASK_FACES]))
    details = error_details(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT and details.reason == "IMAGE_TOO_LARGE"
