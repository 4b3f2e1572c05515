"""What a detector reports for one frame, in coordinates normalised to the frame (0..1)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Task(enum.Enum):
    FACES = "faces"
    TEXT = "text"
    OBJECTS = "objects"


@dataclass(frozen=True)
class Detection:
    task: Task
    label: str
    score: float
    # Top-left corner and size, as fractions of the frame's width and height.
    x: float
    y: float
    width: float
    height: float
    text: str = ""


def normalised(
    task: Task,
    label: str,
    score: float,
    xyxy: tuple[float, float, float, float],
    size: tuple[int, int],
    text: str = "",
) -> Detection:
    """A detection from pixel corners `xyxy` in a frame of `size` (width, height), clipped to the frame."""
    width, height = size
    x1 = min(max(xyxy[0] / width, 0.0), 1.0)
    y1 = min(max(xyxy[1] / height, 0.0), 1.0)
    x2 = min(max(xyxy[2] / width, 0.0), 1.0)
    y2 = min(max(xyxy[3] / height, 0.0), 1.0)
    return Detection(
        task,
        label,
        float(score),
        float(x1),
        float(y1),
        float(max(x2 - x1, 0.0)),
        float(max(y2 - y1, 0.0)),
        text,
    )


@dataclass(frozen=True)
class FrameResult:
    time: float
    frame_index: int
    detections: tuple[Detection, ...]
