"""Face detection with CenterFace: raw RGB NCHW in, heatmap + box scale + offset out (stride 4)."""

from __future__ import annotations

import numpy as np

from tstudio_recognition.domain.detections import Detection, Task, normalised
from tstudio_recognition.domain.image_ops import to_nchw
from tstudio_recognition.domain.nms import nms
from tstudio_recognition.domain.session import ModelSession

_STRIDE = 4
_NMS_IOU = 0.3


def decode_centerface(
    heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray, size: tuple[int, int], threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """One image's outputs (heatmap (1|h, w) ...) to pixel boxes `xyxy` and scores, after NMS.
    `size` is the input's (width, height)."""
    heat = heatmap.reshape(heatmap.shape[-2:])
    rows, cols = np.nonzero(heat > threshold)
    if rows.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    height_px = np.exp(scale[0, rows, cols]) * _STRIDE
    width_px = np.exp(scale[1, rows, cols]) * _STRIDE
    cy = (rows + offset[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offset[1, rows, cols] + 0.5) * _STRIDE
    width, height = size
    x1 = np.clip(cx - width_px / 2, 0, width)
    y1 = np.clip(cy - height_px / 2, 0, height)
    x2 = np.minimum(x1 + width_px, width)
    y2 = np.minimum(y1 + height_px, height)
    boxes = np.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
    scores = heat[rows, cols].astype(np.float32)
    keep = nms(boxes, scores, _NMS_IOU)
    return boxes[keep], scores[keep]


class FaceDetector:
    """Runs CenterFace on frames whose sides are multiples of 32; frames of one size go as one batch."""

    def __init__(self, session: ModelSession, default_score: float = 0.5) -> None:
        self._session = session
        self._default_score = default_score

    def detect(self, frames: list[np.ndarray], min_score: float = 0.0) -> list[list[Detection]]:
        threshold = min_score or self._default_score
        results: list[list[Detection]] = []
        for group in _same_size_runs(frames):
            height, width = group[0].shape[:2]
            if width % 32 or height % 32:
                raise ValueError("CenterFace needs frame sides that are multiples of 32")
            heatmap, scale, offset = self._session.run({self._session.input_names[0]: to_nchw(group)})[:3]
            for index in range(len(group)):
                boxes, scores = decode_centerface(
                    heatmap[index], scale[index], offset[index], (width, height), threshold
                )
                results.append(
                    [
                        normalised(Task.FACES, "face", s, tuple(b), (width, height))
                        for b, s in zip(boxes, scores, strict=True)
                    ]
                )
        return results


def _same_size_runs(frames: list[np.ndarray]) -> list[list[np.ndarray]]:
    runs: list[list[np.ndarray]] = []
    for frame in frames:
        if runs and runs[-1][0].shape == frame.shape:
            runs[-1].append(frame)
        else:
            runs.append([frame])
    return runs
