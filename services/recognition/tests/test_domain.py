"""Unit tests of the pure domain code (decoders, geometry, summaries, pipeline), fakes only for sessions."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping

import numpy as np
import pytest
from svckit.errors import FailedPrecondition
from tstudio_recognition.domain.components import components
from tstudio_recognition.domain.detections import Detection, FrameResult, Task
from tstudio_recognition.domain.faces import FaceDetector, decode_centerface
from tstudio_recognition.domain.image_ops import analysis_size, letterbox, resize_bilinear
from tstudio_recognition.domain.nms import batched_nms, nms
from tstudio_recognition.domain.objects import decode_yolo, labels_from_metadata
from tstudio_recognition.domain.prefetch import Prefetcher
from tstudio_recognition.domain.providers import ProviderReport, requested_providers
from tstudio_recognition.domain.shots import ShotDetector
from tstudio_recognition.domain.summary import SummaryBuilder
from tstudio_recognition.domain.text import ctc_greedy
from tstudio_recognition.domain.video import Sampler


def test_nms_keeps_the_best_of_overlapping_boxes_and_separate_ones() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.8, 0.9, 0.5], np.float32)
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert batched_nms(boxes, scores, np.array([0, 1, 0]), 0.5).tolist() == [1, 0, 2]


def test_letterbox_maps_boxes_back_to_the_frame() -> None:
    frame = np.zeros((100, 200, 3), np.uint8)
    canvas, mapping = letterbox(frame, 64, 64)
    assert canvas.shape == (64, 64, 3)
    assert (mapping.scale, mapping.pad_x, mapping.pad_y) == (0.32, 0.0, 16.0)
    assert canvas[0, 0, 0] == 114 and canvas[32, 32, 0] == 0
    back = mapping.to_frame(np.array([[0, 16, 64, 48]], np.float32))
    assert back.tolist() == [[0, 0, 200, 100]]


def test_bilinear_resize_keeps_flat_images_flat_and_sizes_are_multiples_of_32() -> None:
    out = resize_bilinear(np.full((10, 20, 3), 77, np.uint8), 7, 3)
    assert out.shape == (3, 7, 3) and np.allclose(out, 77)
    assert analysis_size(1280, 720, 640) == (640, 352)
    assert analysis_size(100, 50, 640) == (96, 64)


def test_components_finds_8_connected_regions() -> None:
    mask = np.zeros((8, 10), bool)
    mask[1:3, 1:4] = True
    mask[3, 4] = True  # diagonal neighbour joins the first region
    mask[6:8, 7:10] = True
    found = sorted((c.x0, c.y0, c.x1, c.y1, c.pixels) for c in components(mask))
    assert found == [(1, 1, 5, 4, 7), (7, 6, 10, 8, 6)]
    assert components(np.zeros((4, 4), bool)) == []


def test_ctc_collapses_repeats_and_drops_blanks() -> None:
    charset = ("a", "b")
    steps = np.eye(3)[[1, 1, 0, 1, 2, 2, 0]]
    assert ctc_greedy(steps, charset) == ("aab", 1.0)
    assert ctc_greedy(np.eye(3)[[0, 0]], charset) == ("", 0.0)


def test_centerface_decoding_places_a_box_from_the_heatmap_peak() -> None:
    heat = np.zeros((1, 8, 8), np.float32)
    heat[0, 4, 2] = 0.9
    scale = np.zeros((2, 8, 8), np.float32)
    scale[:, 4, 2] = np.log(4.0)  # 4 * stride 4 = 16 px
    offset = np.zeros((2, 8, 8), np.float32)
    boxes, scores = decode_centerface(heat, scale, offset, (32, 32), 0.5)
    assert scores.tolist() == pytest.approx([0.9])
    assert boxes.tolist() == [[2.0, 10.0, 18.0, 26.0]]


class FakeSession:
    input_names = ("input",)
    batch_dynamic = True

    def __init__(self) -> None:
        self.batches: list[tuple[int, ...]] = []

    def run(self, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        batch = feed["input"]
        self.batches.append(batch.shape)
        n, _, h, w = batch.shape
        return [
            np.zeros((n, 1, h // 4, w // 4), np.float32),
            np.zeros((n, 2, h // 4, w // 4), np.float32),
            np.zeros((n, 2, h // 4, w // 4), np.float32),
        ]


def test_face_detector_batches_frames_of_one_size() -> None:
    session = FakeSession()
    frames = [np.zeros((64, 96, 3), np.uint8)] * 3 + [np.zeros((32, 32, 3), np.uint8)]
    assert FaceDetector(session).detect(frames) == [[], [], [], []]
    assert session.batches == [(3, 3, 64, 96), (1, 3, 32, 32)]


def test_object_detector_refuses_a_model_that_gives_more_rows_than_declared() -> None:
    from tstudio_recognition.domain.manifest import Decoder, ModelManifest
    from tstudio_recognition.domain.objects import ObjectDetector

    class WrongRows:
        input_names = ("images",)
        batch_dynamic = False

        def run(self, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
            return [np.zeros((1, 10, 8), np.float32)]

    manifest = ModelManifest(
        "m", Task.OBJECTS, Decoder.YOLO, "m.onnx", "0" * 64, "test", 64, 64, labels=("a", "b")
    )
    with pytest.raises(FailedPrecondition) as caught:
        ObjectDetector(WrongRows(), manifest).detect([np.zeros((32, 32, 3), np.uint8)])
    assert caught.value.reason == "MODEL_OUTPUT_MISMATCH"


def test_yolo_decoder_refuses_outputs_that_do_not_fit_the_labels() -> None:
    with pytest.raises(FailedPrecondition):
        decode_yolo(np.zeros((10, 5), np.float32), ("a", "b"), 0.25)
    assert labels_from_metadata({"names": "{0: 'person', 1: 'car'}"}) == ("person", "car")
    assert labels_from_metadata({"names": "not python"}) == ()


def test_summary_merges_frames_into_segments_and_tolerates_one_missed_frame() -> None:
    builder = SummaryBuilder(interval=0.5)
    face = Detection(Task.FACES, "face", 0.9, 0, 0, 0.1, 0.1)
    seen = {1.0, 1.5, 2.5, 3.0, 6.0}  # 2.0 missed (noise); 6.0 is a new appearance
    for step in range(14):
        time = step * 0.5
        builder.add(FrameResult(time, step, (face,) if time in seen else ()))
    summary = builder.finish(end_time=7.0)
    assert [(s.start, s.end) for s in summary.segments] == [(1.0, 3.5), (6.0, 6.5)]


def test_sampler_by_rate_and_by_count() -> None:
    times = [i / 30 for i in range(60)]
    by_rate = Sampler(sample_fps=2)
    assert [round(t, 3) for t in times if by_rate.want(t)] == [0.0, 0.5, 1.0, 1.5]
    by_count = Sampler(every_n_frames=20)
    assert [round(t, 3) for t in times if by_count.want(t)] == [0.0, 0.667, 1.333]


def test_shot_detector_cuts_on_large_changes_only() -> None:
    red, blue = np.zeros((9, 16, 3), np.uint8), np.zeros((9, 16, 3), np.uint8)
    red[:] = (200, 30, 30)
    blue[:] = (30, 30, 200)
    detector = ShotDetector(min_shot_seconds=0.2)
    for index in range(20):
        detector.push(index / 10, index, red if index < 10 else blue)
    assert detector.cuts == [(1.0, 10)]
    assert [(s.start_frame, s.end_frame) for s in detector.shots()] == [(0, 9), (10, 19)]


def test_providers_prefer_gpus_the_build_offers_and_report_a_fallback() -> None:
    offered = ("CUDAExecutionProvider", "CPUExecutionProvider")
    assert requested_providers(("auto",), offered) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert requested_providers(("TensorrtExecutionProvider",), offered) == ["CPUExecutionProvider"]
    report = ProviderReport(("CUDAExecutionProvider", "CPUExecutionProvider"), ("CPUExecutionProvider",))
    assert "CUDAExecutionProvider could not be initialised" in report.fallback


async def test_prefetch_is_bounded_and_stops_the_producer_when_left_early() -> None:
    produced: list[int] = []
    stopped = threading.Event()

    def produce() -> Iterator[int]:
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            stopped.set()

    async with Prefetcher(produce, depth=4) as items:
        first = await items.next_batch(2)
        await asyncio.sleep(0.2)
        # Bounded: the producer is at most depth + a couple of items ahead.
        assert len(produced) <= len(first) + 4 + 2
    assert first == [0, 1] or first == [0]
    assert await asyncio.to_thread(stopped.wait, 5)


async def test_prefetch_hands_producer_errors_to_the_consumer() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise ValueError("broken file")

    async with Prefetcher(produce, depth=2) as items:
        with pytest.raises(ValueError, match="broken file"):
            while await items.next_batch(8):
                pass
