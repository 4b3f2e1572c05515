"""What the soak run asks of the suite: small generated media, and tiny render projects whose
expected output duration is known, so every finished job can be checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svckit.testing import make_video

WIDTH, HEIGHT, FPS = 160, 120, 30


@dataclass(frozen=True)
class RenderSpec:
    key: str
    project: dict[str, Any]
    output: Path
    expected_seconds: float


def make_media(folder: Path, count: int) -> list[Path]:
    """`count` clips of 1.5-2 s at 160x120 with a tone, distinct so the media cache sees each."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for index in range(count):
        seconds = 1.5 + (index % 2) * 0.5
        clips.append(
            make_video(
                folder / f"clip{index}.mp4",
                seconds=seconds,
                width=WIDTH,
                height=HEIGHT,
                fps=FPS,
                audio_hz=220.0 + 55.0 * index,
            )
        )
    return clips


def media_requests(clips: list[Path], total: int) -> list[tuple[str, dict[str, Any]]]:
    """Alternating probe and thumbnail commands over the clips (thumbnails at varied times/sizes)."""
    requests: list[tuple[str, dict[str, Any]]] = []
    for index in range(total):
        clip = str(clips[index % len(clips)])
        if index % 2 == 0:
            requests.append(("probe_media_file", {"path": clip}))
        else:
            width = (64, 96, 128)[index % 3]
            requests.append(
                ("media.thumbnail", {"path": clip, "timeSeconds": (index % 7) / 10, "width": width})
            )
    return requests


def render_specs(clips: list[Path], out_dir: Path, count: int, run_id: str) -> list[RenderSpec]:
    """`count` one-clip projects, 160x120, each trimmed to its own length between 1.0 and 1.5 s."""
    specs = []
    for index in range(count):
        clip = clips[index % len(clips)]
        seconds = round(1.0 + (index % 6) * 0.1, 3)
        output = out_dir / f"render{index:02d}.mp4"
        project = {
            "name": f"soak-{index}",
            "settings": {"width": WIDTH, "height": HEIGHT, "fps": FPS, "sampleRate": 48000},
            "tracks": [
                {
                    "id": "v1",
                    "kind": "TRACK_KIND_VIDEO",
                    "clips": [
                        {
                            "id": "c1",
                            "source": {"path": str(clip)},
                            "start": 0,
                            "sourceIn": 0,
                            "sourceOut": seconds,
                        }
                    ],
                }
            ],
            "output": {"path": str(output), "container": "mp4", "videoCodec": "h264", "audioCodec": "aac"},
        }
        specs.append(RenderSpec(f"soak-{run_id}-{index}", project, output, seconds))
    return specs
