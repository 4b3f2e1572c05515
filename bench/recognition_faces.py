"""Recognition throughput: AnalyzeVideo (faces, a 720p source, every frame) through the real gRPC
server, against a bare loop feeding pre-decoded, pre-processed frames straight to an onnxruntime
session (the ceiling: inference alone). Then ms per frame of each built-in model at its default size.

    .venv/bin/python bench/recognition_faces.py [--seconds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import grpc
import numpy as np
import onnxruntime as ort
from PIL import Image
from skimage import data
from svckit.bus import InProcessBus
from svckit.executor import BlockingExecutor
from tstudio.recognition.v1 import recognition_pb2 as pb
from tstudio.recognition.v1 import recognition_pb2_grpc
from tstudio_recognition.deps import build_deps
from tstudio_recognition.domain.image_ops import analysis_size, to_nchw
from tstudio_recognition.domain.text import det_size
from tstudio_recognition.server import create_server
from tstudio_recognition.settings import RecognitionSettings

WIDTH, HEIGHT, FPS = 1280, 720, 25


def make_video(path: Path, seconds: float) -> int:
    """720p H.264: noise background with the astronaut photo sliding across."""
    rng = np.random.default_rng(1)
    background = rng.integers(40, 200, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    face = np.asarray(Image.fromarray(data.astronaut()).resize((400, 400)))
    frames = round(seconds * FPS)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(frames):
            rgb = background.copy()
            x = 50 + (index * 7) % (WIDTH - 500)
            rgb[160:560, x : x + 400] = face
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return frames


def session(path: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def predecode(video: Path, size: tuple[int, int]) -> list[np.ndarray]:
    """Every frame decoded, scaled and laid out as the model input, before any timing."""
    with av.open(str(video)) as container:
        return [
            to_nchw([f.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()])
            for f in container.decode(video=0)
        ]


def bare_loop(sess: ort.InferenceSession, tensors: list[np.ndarray], batch: int = 1) -> float:
    """Frames/s of session.run alone, `batch` frames per call."""
    name = sess.get_inputs()[0].name
    batches = [np.concatenate(tensors[i : i + batch]) for i in range(0, len(tensors), batch)]
    started = time.perf_counter()
    for tensor in batches:
        sess.run(None, {name: tensor})
    return len(tensors) / (time.perf_counter() - started)


async def service_fps(stub: recognition_pb2_grpc.RecognitionServiceStub, video: Path, frames: int) -> float:
    started = time.perf_counter()
    count = 0
    async for reply in stub.AnalyzeVideo(pb.AnalyzeVideoRequest(path=str(video), tasks=[pb.TASK_FACES])):
        count += reply.WhichOneof("item") == "frame"
    elapsed = time.perf_counter() - started
    assert count == frames, (count, frames)
    return count / elapsed


async def compare(
    settings: RecognitionSettings, video: Path, frames: int, rounds: int
) -> tuple[list[float], list[float], dict]:
    """Alternate the bare loop and the service, so load from other processes hits both alike."""
    bus, executor = InProcessBus(), BlockingExecutor(settings.max_workers, "bench")
    deps = build_deps(settings, bus, executor)
    manifests = {m.name: m for m in deps.registry.list()}
    size = analysis_size(WIDTH, HEIGHT, settings.max_side)
    tensors = predecode(video, size)
    bare_session = session(manifests["centerface"].path, settings.intra_op_threads)
    bare_loop(bare_session, tensors[:2])
    handle = create_server(settings, deps)
    await handle.start()
    ours, bare, bare_batched = [], [], []
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}") as channel:
            stub = recognition_pb2_grpc.RecognitionServiceStub(channel)
            await stub.LoadModel(pb.LoadModelRequest(name="centerface"))
            for _ in range(rounds):
                bare.append(bare_loop(bare_session, tensors))
                bare_batched.append(bare_loop(bare_session, tensors, settings.batch_size))
                ours.append(await service_fps(stub, video, frames))
    finally:
        await deps.jobs.close()
        await handle.stop(0)
        executor.shutdown()
    return ours, bare, bare_batched, manifests


def model_ms(path: str, shape: tuple[int, ...], threads: int, runs: int = 15) -> float:
    sess = session(path, threads)
    tensor = np.random.default_rng(0).random(shape, dtype=np.float32)
    name = sess.get_inputs()[0].name
    sess.run(None, {name: tensor})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        sess.run(None, {name: tensor})
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "bench720.mp4"
        frames = make_video(video, args.seconds)
        settings = RecognitionSettings(port=0, data_dir=Path(tmp) / "data", cache_entries=0)
        ours, bare, batched, manifests = asyncio.run(compare(settings, video, frames, args.rounds))
        size = analysis_size(WIDTH, HEIGHT, settings.max_side)
        print(
            f"AnalyzeVideo faces, {WIDTH}x{HEIGHT} H.264 analysed at {size[0]}x{size[1]}, {frames} frames, every frame"
        )
        print(
            f"  rounds (service / bare frames/s): {', '.join(f'{o:.1f}/{b:.1f}' for o, b in zip(ours, bare, strict=True))}"
        )
        ours_m, bare_m = statistics.median(ours), statistics.median(bare)
        print(f"  service (decode + pre/post + inference, gRPC stream): {ours_m:7.1f} frames/s (median)")
        print(f"  bare onnxruntime loop on pre-decoded frames:          {bare_m:7.1f} frames/s (median)")
        batched_m = statistics.median(batched)
        print(
            f"  bare loop, batches of {settings.batch_size} (as the service sends):    {batched_m:7.1f} frames/s (median)"
        )
        print(f"  ratio service / bare: {ours_m / bare_m:.2f}  (target >= 0.90)")
        print(f"  ratio service / bare batched: {ours_m / batched_m:.2f}  (the pipeline's own overhead)")
        dw, dh = det_size(*size)
        shapes = {
            "centerface": (1, 3, size[1], size[0]),
            "ppocr-det": (1, 3, dh, dw),
            "ppocr-rec": (1, 3, 48, 320),
            "ppocr-cls": (1, 3, 48, 192),
        }
        baseline = None
        print("ms per frame, each built-in model at its default size (median of 15, batch 1):")
        for name, shape in shapes.items():
            ms = model_ms(manifests[name].path, shape, settings.intra_op_threads)
            baseline = baseline or ms
            print(
                f"  {name:11s} {'x'.join(map(str, shape[2:])):>8s}: {ms:7.2f} ms  ({ms / baseline:.2f}x centerface)"
            )


if __name__ == "__main__":
    main()
