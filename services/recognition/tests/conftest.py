"""Fixtures: a real recognition server on a free port (real models from the installed packages),
and media made here with PyAV, Pillow and scikit-image's astronaut photo."""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import grpc
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from svckit.bus import EventBus, InProcessBus, NatsBus
from svckit.executor import BlockingExecutor
from svckit.testing import NatsServer
from tstudio.recognition.v1 import recognition_pb2_grpc
from tstudio_recognition.adapters.builtin_models import builtin_manifests
from tstudio_recognition.adapters.manifest_store import JsonManifestStore
from tstudio_recognition.adapters.model_files import OnnxModelFiles
from tstudio_recognition.adapters.ort_sessions import OrtSessions, SessionSettings
from tstudio_recognition.deps import RecognitionDeps, build_deps
from tstudio_recognition.domain.manifest import ModelManifest
from tstudio_recognition.domain.registry import ModelRegistry
from tstudio_recognition.server import create_server
from tstudio_recognition.settings import RecognitionSettings

# Hand-labelled box of the astronaut's face in skimage.data.astronaut() (512 x 512): x0, y0, x1, y1.
ASTRONAUT_FACE = (180, 60, 270, 175)
YOLO_LABELS = ("person", "car", "dog")


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int) -> Path:
    """Encode RGB frames as H.264 in an MP4."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        first = True
        for index, rgb in enumerate(frames):
            if first:
                stream.height, stream.width = rgb.shape[:2]
                stream.pix_fmt = "yuv420p"
                first = False
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def png_bytes(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def text_frame(text: str, size: tuple[int, int] = (320, 240)) -> np.ndarray:
    image = Image.new("RGB", size, (0, 0, 0))
    ImageDraw.Draw(image).text((20, 90), text, fill=(255, 255, 255), font=ImageFont.load_default(size=40))
    return np.asarray(image)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def face_video(media_dir: Path) -> Path:
    """6 s at 10 fps, 320x240 grey; the astronaut photo (240 px) pasted in from 2.0 s to 4.0 s."""
    fps, face = 10, np.asarray(Image.fromarray(astronaut()).resize((240, 240)))

    def frames() -> Iterable[np.ndarray]:
        for index in range(6 * fps):
            rgb = np.full((240, 320, 3), 128, np.uint8)
            if 2 * fps <= index < 4 * fps:
                rgb[:, 40:280] = face
            yield rgb

    return write_video(media_dir / "face.mp4", frames(), fps)


@pytest.fixture(scope="session")
def text_video(media_dir: Path) -> Path:
    """3 s at 10 fps, black; "HELLO 123" in white from 1.0 s to 2.0 s."""
    blank, text = np.zeros((240, 320, 3), np.uint8), text_frame("HELLO 123")
    return write_video(media_dir / "text.mp4", (text if 10 <= i < 20 else blank for i in range(30)), 10)


SHOT_FPS = 25
SHOT_CUT_FRAMES = (25, 55, 75)


@pytest.fixture(scope="session")
def shots_video(media_dir: Path) -> Path:
    """4 s at 25 fps, 160x120: four shots of differently tinted, slowly moving noise, cut at
    frames 25, 55 and 75 (1.0 s, 2.2 s, 3.0 s)."""
    rng = np.random.default_rng(7)
    tints = [(220, 60, 40), (40, 200, 80), (60, 80, 230), (230, 220, 60)]
    textures = [rng.integers(0, 80, (140, 180, 1), dtype=np.uint8) for _ in tints]
    bounds = (0, *SHOT_CUT_FRAMES, 100)

    def frames() -> Iterable[np.ndarray]:
        for shot, (tint, texture) in enumerate(zip(tints, textures, strict=True)):
            for index in range(bounds[shot], bounds[shot + 1]):
                shift = index % 20
                base = texture[shift : shift + 120, shift : shift + 160]
                yield np.clip(base.astype(np.int16) + np.array(tint, np.int16) - 40, 0, 255).astype(np.uint8)

    return write_video(media_dir / "shots.mp4", frames(), SHOT_FPS)


def build_yolo_model(path: Path, rows: int | None = None, names: tuple[str, ...] = YOLO_LABELS) -> Path:
    """A tiny model with the YOLOv8/11 layout: input (1, 3, 64, 64), output (1, 4 + C, 4) holding four
    fixed candidates (in input pixels), tied to the input so it really runs on the image:
    0: person 0.9 at (32, 32, 20x10); 1: person 0.8 shifted 1 px (NMS drops it);
    2: car 0.7 on the same box (another class, kept); 3: dog 0.1 (below the threshold).
    `rows` other than 4 + C makes a model that does not fit its labels."""
    import onnx
    from onnx import TensorProto, helper

    classes = len(names)
    rows = rows or 4 + classes
    table = np.zeros((1, rows, 4), np.float32)
    boxes = [(32, 32, 20, 10), (33, 32, 20, 10), (32, 32, 20, 10), (10, 10, 4, 4)]
    for column, box in enumerate(boxes):
        table[0, :4, column] = box
    scores = {(0, 0): 0.9, (0, 1): 0.8, (1, 2): 0.7, (2, 3): 0.1}
    for (cls, column), score in scores.items():
        if 4 + cls < rows:
            table[0, 4 + cls, column] = score
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["tied"]),
        helper.make_node("Add", ["table", "tied"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, rows, 4])],
        initializer=[
            helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.flatten().tolist()),
            helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    entry = model.metadata_props.add()
    entry.key, entry.value = "names", repr(dict(enumerate(names)))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def builtins(tmp_path_factory: pytest.TempPathFactory) -> list[ModelManifest]:
    """Built-in manifests, read once per test session (CenterFace converted once into this dir)."""
    return builtin_manifests(tmp_path_factory.mktemp("models"))


@dataclass
class Recognition:
    stub: recognition_pb2_grpc.RecognitionServiceStub
    bus: EventBus
    deps: RecognitionDeps
    port: int


@contextlib.asynccontextmanager
async def serve_recognition(
    builtins: list[ModelManifest], tmp_path: Path, media_dir: Path, bus: EventBus, **overrides: Any
) -> AsyncIterator[Recognition]:
    """The real server on a free port, publishing on `bus`; media and model files must lie under the
    test temp dirs."""
    settings = RecognitionSettings(
        **{
            "port": 0,
            "data_dir": tmp_path / "data",
            "allowed_roots": (media_dir, tmp_path),
            "max_workers": 2,
            "intra_op_threads": 2,
            **overrides,
        }
    )
    registry = ModelRegistry(builtins, JsonManifestStore(tmp_path / "models.json"), OnnxModelFiles())
    sessions = OrtSessions(
        registry, SessionSettings(settings.intra_op_threads, settings.inter_op_threads, settings.providers)
    )
    executor = BlockingExecutor(settings.max_workers, "recognition-test")
    deps = build_deps(settings, bus, executor, models=(registry, sessions))
    handle = create_server(settings, deps)
    await handle.start()
    await handle.set_serving(True)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}")
    try:
        yield Recognition(recognition_pb2_grpc.RecognitionServiceStub(channel), bus, deps, handle.port)
    finally:
        await channel.close()
        await deps.jobs.close()
        await handle.stop(0)
        await bus.close()
        executor.shutdown(wait=True)


@pytest.fixture
async def recognition(
    request: pytest.FixtureRequest, builtins: list[ModelManifest], tmp_path: Path, media_dir: Path
) -> AsyncIterator[Recognition]:
    """The server on the in-process bus. Parametrize indirectly with a dict to override settings."""
    async with serve_recognition(
        builtins, tmp_path, media_dir, InProcessBus(), **getattr(request, "param", {})
    ) as rec:
        yield rec


@pytest.fixture
async def recognition_on_nats(
    builtins: list[ModelManifest], tmp_path: Path, media_dir: Path
) -> AsyncIterator[tuple[Recognition, NatsServer]]:
    """The server publishing on a real nats-server (core subjects)."""
    async with NatsServer(jetstream=False) as nats:
        bus = await NatsBus.connect(nats.url, "recognition")
        async with serve_recognition(builtins, tmp_path, media_dir, bus) as rec:
            yield rec, nats


@pytest.fixture
def yolo_model(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "tiny.onnx", **kwargs: object) -> Path:
        return build_yolo_model(tmp_path / name, **kwargs)  # type: ignore[arg-type]

    return make


class Kit:
    """The helpers above, for test modules (with --import-mode=importlib they cannot import conftest)."""

    ASTRONAUT_FACE = ASTRONAUT_FACE
    YOLO_LABELS = YOLO_LABELS
    SHOT_FPS = SHOT_FPS
    SHOT_CUT_FRAMES = SHOT_CUT_FRAMES
    astronaut = staticmethod(astronaut)
    png_bytes = staticmethod(png_bytes)
    text_frame = staticmethod(text_frame)
    write_video = staticmethod(write_video)
    sha256_of = staticmethod(sha256_of)


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    return Kit
