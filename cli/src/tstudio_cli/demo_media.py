"""The demo timeline of the README: its media, generated here so the demo needs no downloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from svckit.testing import make_wav

WARM = ((230, 90, 40), (240, 160, 40), (250, 210, 80), (200, 60, 60), (250, 120, 90), (180, 40, 30))
COOL = ((30, 90, 200), (40, 160, 220), (60, 200, 200), (40, 60, 160), (90, 120, 240), (20, 40, 120))
GREEN = ((40, 160, 60), (90, 200, 80), (30, 120, 90), (140, 220, 100), (60, 180, 140), (20, 90, 40))

DEMO_PROJECT: dict[str, Any] = {
    "name": "demo",
    "settings": {"width": 1280, "height": 720, "fps": 30, "sampleRate": 48000, "backgroundColor": "#000000"},
    "tracks": [
        {
            "id": "v1",
            "kind": "TRACK_KIND_VIDEO",
            "clips": [
                {
                    "id": "c1",
                    "source": {"path": "media/a.mp4"},
                    "start": 0,
                    "sourceIn": 0,
                    "sourceOut": 4,
                    "effects": [{"type": "brightness", "params": {"value": 0.1}}],
                },
                {
                    "id": "c2",
                    "source": {"path": "media/b.mp4"},
                    "start": 3,
                    "sourceIn": 1,
                    "sourceOut": 5,
                    "transition": {"type": "crossfade", "duration": 1},
                },
                {
                    "id": "c3",
                    "source": {"path": "media/c.mp4"},
                    "start": 6.5,
                    "sourceIn": 0,
                    "sourceOut": 6,
                    "speed": 2,
                    "effects": [{"type": "sepia", "params": {"intensity": 0.8}}],
                    "transition": {"type": "wipeleft", "duration": 0.5},
                },
            ],
        },
        {
            "id": "o1",
            "kind": "TRACK_KIND_OVERLAY",
            "clips": [
                {
                    "id": "title",
                    "source": {
                        "text": {
                            "text": "Hello",
                            "fontSize": 64,
                            "color": "#ffffff",
                            "strokeColor": "#000000",
                            "strokeWidth": 3,
                        }
                    },
                    "start": 0.5,
                    "duration": 2,
                    "transform": {"x": 0.5, "y": 0.2},
                },
                {
                    "id": "logo",
                    "source": {"path": "media/logo.png"},
                    "start": 0,
                    "duration": 9.5,
                    "opacity": 0.8,
                    # 12 % of the frame width, its centre placed so the whole logo stays inside.
                    "transform": {"x": 0.92, "y": 0.15, "scale": 0.12},
                },
            ],
        },
        {
            "id": "a1",
            "kind": "TRACK_KIND_AUDIO",
            "clips": [
                {
                    "id": "music",
                    "source": {"path": "media/music.wav"},
                    "start": 0,
                    "volume": 0.5,
                    "fadeIn": 1,
                    "fadeOut": 2,
                }
            ],
        },
    ],
    "output": {
        "path": "out/demo.mp4",
        "container": "mp4",
        "videoCodec": "h264",
        "audioCodec": "aac",
        "quality": 80,
        "hardwareAcceleration": "HARDWARE_ACCELERATION_AUTO",
    },
}


def write_demo(folder: Path, width: int = 640, height: int = 360) -> Path:
    """Write media/ (a.mp4, b.mp4, c.mp4 of `width`x`height`, logo.png, music.wav) and demo.json into
    `folder`, keeping media already there; returns the project file. Tests pass small sizes."""
    media = folder / "media"
    media.mkdir(parents=True, exist_ok=True)
    sources = {"a.mp4": (WARM, 4.0, 330.0), "b.mp4": (COOL, 5.0, 440.0), "c.mp4": (GREEN, 6.0, 550.0)}
    for name, (colors, seconds, tone) in sources.items():
        if not (media / name).exists():
            make_moving_video(media / name, seconds, width, height, colors, tone)
    if not (media / "music.wav").exists():
        make_wav(media / "music.wav", seconds=12.0, hz=220.0, amplitude=0.4)
    if not (media / "logo.png").exists():
        _write_logo(media / "logo.png")
    for index, colors in enumerate((WARM, COOL, GREEN), start=1):
        still = media / f"still-{index}.png"
        if not still.exists():
            _write_still(still, width, height, colors)
    project = folder / "demo.json"
    project.write_text(json.dumps(DEMO_PROJECT, indent=2))
    return project


def make_moving_video(
    path: Path,
    seconds: float,
    width: int,
    height: int,
    colors: tuple[tuple[int, int, int], ...],
    tone: float,
    fps: int = 30,
) -> Path:
    """A test pattern that moves, so wipes, slides and speed changes show: the background takes
    the next of `colors` each second, a light bar sweeps left to right once a second, a dark ball
    crosses the frame over the whole clip, and a progress line runs along the bottom. A sine tone
    of `tone` Hz plays under it."""
    from fractions import Fraction

    import av
    import numpy as np
    from svckit.testing import make_video

    frames = round(seconds * fps)
    columns = np.arange(width)
    rows = np.arange(height)[:, None]
    bar = max(2, width // 12)
    radius = max(3, height // 8)
    silent = path.with_name(f".{path.stem}.tone.mp4")
    make_video(silent, seconds=seconds, width=16, height=16, fps=fps, audio_hz=tone)
    with av.open(str(silent)) as tone_file, av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio_in = tone_file.streams.audio[0]
        audio_out = container.add_stream_from_template(audio_in)
        for index in range(frames):
            image = np.empty((height, width, 3), dtype=np.uint8)
            image[:] = colors[(index // fps) % len(colors)]
            x = int((index % fps) / fps * (width + bar)) - bar
            image[:, max(0, x) : max(0, x + bar)] = 235
            cx = int(index / max(1, frames - 1) * (width - 2 * radius)) + radius
            ball = (columns[None, :] - cx) ** 2 + (rows - height // 2) ** 2 <= radius**2
            image[ball] = (20, 20, 20)
            image[height - max(2, height // 40) :, : int((index + 1) / frames * width)] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        for packet in tone_file.demux(audio_in):
            if packet.dts is None:
                continue
            packet.stream = audio_out
            container.mux(packet)
    silent.unlink()
    return path


def _write_still(path: Path, width: int, height: int, colors: tuple[tuple[int, int, int], ...]) -> None:
    """A photo stand-in for the slideshow example: a diagonal gradient between two colours with
    circles, so pans, fades and grades have something to show."""
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((width, height)).rotate(45, expand=False)
    picture = Image.composite(
        Image.new("RGB", (width, height), colors[0]), Image.new("RGB", (width, height), colors[3]), image
    )
    draw = ImageDraw.Draw(picture)
    for i, color in enumerate(colors[1:4]):
        r = height // (4 + i)
        cx, cy = width * (i + 1) // 4, height // 2 + (i - 1) * height // 6
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), fill=color, outline=(255, 255, 255), width=max(1, height // 90)
        )
    picture.save(path)


def _write_logo(path: Path) -> None:
    from PIL import Image, ImageDraw

    logo = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((8, 8, 248, 248), fill=(255, 255, 255, 230), outline=(20, 20, 20, 255), width=8)
    draw.polygon([(96, 72), (96, 184), (190, 128)], fill=(220, 40, 60, 255))
    logo.save(path)
