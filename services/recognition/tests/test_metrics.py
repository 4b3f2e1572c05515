"""Domain metrics on the process's Prometheus registry after one real call."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, generate_latest
from tstudio.recognition.v1 import recognition_pb2 as pb

COUNT = "tstudio_recognition_inference_seconds_count"


def inference_counts() -> dict[str, float]:
    """model -> inference count, parsed from a scrape of the registry."""
    counts = {}
    for line in generate_latest(REGISTRY).decode().splitlines():
        if line.startswith(COUNT + "{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels.split('model="')[1].split('"')[0]] = float(value)
    return counts


async def test_detect_image_records_inference_time_per_model(recognition: Any, kit: Any) -> None:
    before = inference_counts()
    reply = await recognition.stub.DetectImage(
        pb.DetectImageRequest(image=kit.png_bytes(kit.astronaut()), tasks=[pb.TASK_FACES])
    )
    assert reply.detections
    after = inference_counts()
    grown = [model for model, count in after.items() if count > before.get(model, 0.0)]
    assert grown, after
