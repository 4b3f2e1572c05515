"""Media for the media benchmarks, generated once per run (nothing is downloaded)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import av
import grpc
from svckit.bus import InProcessBus
from tstudio.media.v1 import media_pb2_grpc
from tstudio_media.composition import build_media
from tstudio_media.server import create_server
from tstudio_media.settings import MediaSettings

HD_GOP_FRAMES = 60  # 2 s at 30 fps


def hd_video(path: Path, seconds: float = 6) -> Path:
    """1080p30 H.264 (x264 veryfast, B-frames, a keyframe exactly every 2 s) of FFmpeg's testsrc2
    pattern with a stereo tone: moving, detailed content, not flat colours that decode for free."""
    return pattern_video(path, seconds, 1920, 1080)


def pattern_video(path: Path, seconds: float, width: int, height: int, tone: float = 440.0) -> Path:
    """`hd_video` at any size and tone."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    video_src = av.open(f"testsrc2=size={width}x{height}:rate=30:duration={seconds}", format="lavfi")
    audio_src = av.open(f"sine=frequency={tone}:sample_rate=48000:duration={seconds}", format="lavfi")
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.gop_size = HD_GOP_FRAMES
        video.options = {"preset": "veryfast", "keyint_min": str(HD_GOP_FRAMES), "sc_threshold": "0"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"  # type: ignore[union-attr]
        for frame in video_src.decode(video=0):
            for packet in video.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        for frame in audio_src.decode(audio=0):
            frame.pts = None
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    return path


@contextlib.asynccontextmanager
async def running_media(data_dir: Path) -> AsyncIterator[media_pb2_grpc.MediaServiceStub]:
    """The media service wired as `__main__` wires it (gRPC on a free port, no video server),
    and a stub connected to it."""
    settings = MediaSettings(port=0, http_port=0, data_dir=data_dir, max_workers=2, log_level="WARNING")
    bus = InProcessBus()
    runtime = await build_media(settings, bus)
    handle = create_server(settings, runtime.deps)
    await handle.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}") as channel:
            yield media_pb2_grpc.MediaServiceStub(channel)
    finally:
        await handle.stop(0)
        await runtime.close()
        await bus.close()
