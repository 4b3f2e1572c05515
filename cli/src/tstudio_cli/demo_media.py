"""The demo timeline of the README: its media, generated here so the demo needs no downloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from svckit.testing import make_video, make_wav

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
                    "source": {"text": {"text": "Hello", "fontSize": 64, "color": "#ffffff"}},
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
                    "transform": {"x": 0.9, "y": 0.1, "scale": 0.2},
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
            make_video(
                media / name,
                seconds=seconds,
                width=width,
                height=height,
                fps=30,
                colors=colors,
                audio_hz=tone,
            )
    if not (media / "music.wav").exists():
        make_wav(media / "music.wav", seconds=10.0, hz=220.0, amplitude=0.4)
    if not (media / "logo.png").exists():
        _write_logo(media / "logo.png")
    project = folder / "demo.json"
    project.write_text(json.dumps(DEMO_PROJECT, indent=2))
    return project


def _write_logo(path: Path) -> None:
    from PIL import Image, ImageDraw

    logo = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((8, 8, 248, 248), fill=(255, 255, 255, 230), outline=(20, 20, 20, 255), width=8)
    draw.polygon([(96, 72), (96, 184), (190, 128)], fill=(220, 40, 60, 255))
    logo.save(path)
