"""Text reading with PaddleOCR models: DB text detection, 0/180 degree orientation, CTC recognition.

The models were trained on BGR input normalised to -1..1, so frames are flipped to BGR here.
"""

from __future__ import annotations

import math

import numpy as np

from tstudio_recognition.domain.components import components, dilate
from tstudio_recognition.domain.detections import Detection, Task, normalised
from tstudio_recognition.domain.image_ops import resize_bilinear, to_nchw
from tstudio_recognition.domain.session import ModelSession

_BIN_THRESHOLD = 0.3
_BOX_THRESHOLD = 0.5
_UNCLIP_RATIO = 1.6
_MIN_BOX_SIDE = 3
_REC_HEIGHT = 48
_CLS_SIZE = (192, 48)
_CLS_FLIP_SCORE = 0.9
_DET_MIN_SIDE = 480
_DET_MAX_SIDE = 1280


def det_size(width: int, height: int) -> tuple[int, int]:
    """DB input size: the short side at least 480 (small text survives), the long side at most 1280,
    both multiples of 32."""
    scale = max(1.0, _DET_MIN_SIDE / min(width, height))
    scale = min(scale, _DET_MAX_SIDE / max(width, height))
    return max(32, round(width * scale / 32) * 32), max(32, round(height * scale / 32) * 32)


def text_boxes(
    probability: np.ndarray, box_threshold: float = _BOX_THRESHOLD
) -> list[tuple[np.ndarray, float]]:
    """DB post-processing on an (H, W) probability map: binarise, dilate, take each component's box,
    score it by the mean probability inside, and grow it back (the model predicts shrunk text cores)."""
    mask = dilate(probability > _BIN_THRESHOLD)
    height, width = probability.shape
    boxes: list[tuple[np.ndarray, float]] = []
    for comp in components(mask):
        w, h = comp.x1 - comp.x0, comp.y1 - comp.y0
        if min(w, h) < _MIN_BOX_SIDE:
            continue
        region = probability[comp.y0 : comp.y1, comp.x0 : comp.x1]
        score = float(region[mask[comp.y0 : comp.y1, comp.x0 : comp.x1]].mean())
        if score < box_threshold:
            continue
        distance = w * h * _UNCLIP_RATIO / (2 * (w + h))
        box = np.array(
            [
                max(comp.x0 - distance, 0),
                max(comp.y0 - distance, 0),
                min(comp.x1 + distance, width),
                min(comp.y1 + distance, height),
            ],
            dtype=np.float32,
        )
        boxes.append((box, score))
    # Reading order: top to bottom, then left to right.
    boxes.sort(key=lambda item: (round(float(item[0][1]) / 10), float(item[0][0])))
    return boxes


def ctc_greedy(probabilities: np.ndarray, charset: tuple[str, ...]) -> tuple[str, float]:
    """Collapse a (T, classes) CTC output: best class per step, repeats merged, blanks (index 0) dropped.
    `charset[i - 1]` is class i. Returns the text and the mean probability of its characters."""
    best = probabilities.argmax(axis=1)
    best_p = probabilities.max(axis=1)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    chars = [charset[i - 1] for i in best[keep] if 0 < i <= len(charset)]
    if not chars:
        return "", 0.0
    return "".join(chars), float(best_p[keep].mean())


class TextReader:
    def __init__(
        self,
        detector: ModelSession,
        recogniser: ModelSession,
        charset: tuple[str, ...],
        orientation: ModelSession | None = None,
        default_score: float = 0.5,
    ) -> None:
        self._det = detector
        self._rec = recogniser
        self._cls = orientation
        self._charset = charset
        self._default_score = default_score

    def detect(self, frames: list[np.ndarray], min_score: float = 0.0) -> list[list[Detection]]:
        return [self._read(frame, min_score or self._default_score) for frame in frames]

    def _read(self, frame: np.ndarray, min_score: float) -> list[Detection]:
        height, width = frame.shape[:2]
        bgr = frame[:, :, ::-1]
        dw, dh = det_size(width, height)
        batch = to_nchw([resize_bilinear(bgr, dw, dh)], scale=1 / 255, mean=0.5, std=0.5)
        probability = self._det.run({self._det.input_names[0]: batch})[0][0, 0]
        found = text_boxes(probability)
        if not found:
            return []
        sx, sy = width / dw, height / dh
        crops: list[np.ndarray] = []
        boxes: list[tuple[float, float, float, float]] = []
        for box, _ in found:
            x0, y0 = math.floor(box[0] * sx), math.floor(box[1] * sy)
            x1, y1 = math.ceil(box[2] * sx), math.ceil(box[3] * sy)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            crops.append(bgr[y0:y1, x0:x1])
            boxes.append((x0, y0, x1, y1))
        if self._cls is not None and crops:
            crops = self._upright(crops)
        detections = []
        for (text, score), pixels in zip(self._recognise(crops), boxes, strict=True):
            if text.strip() and score >= min_score:
                detections.append(
                    normalised(Task.TEXT, "text", score, pixels, (width, height), text=text.strip())
                )
        return detections

    def _upright(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        cw, ch = _CLS_SIZE
        batch = to_nchw([_fit_height(crop, ch, cw) for crop in crops], scale=1 / 255, mean=0.5, std=0.5)
        scores = self._cls.run({self._cls.input_names[0]: batch})[0] if self._cls else None
        if scores is None:
            return crops
        return [
            crop[::-1, ::-1] if s[1] > s[0] and s[1] > _CLS_FLIP_SCORE else crop
            for crop, s in zip(crops, scores, strict=True)
        ]

    def _recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        ratio = max(c.shape[1] / max(c.shape[0], 1) for c in crops)
        width = max(math.ceil(_REC_HEIGHT * ratio), _REC_HEIGHT)
        batch = to_nchw(
            [_fit_height(crop, _REC_HEIGHT, width) for crop in crops], scale=1 / 255, mean=0.5, std=0.5
        )
        out = self._rec.run({self._rec.input_names[0]: batch})[0]
        return [ctc_greedy(out[i], self._charset) for i in range(out.shape[0])]


def _fit_height(crop: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize to `height` keeping the aspect ratio (at most `width` wide) and pad right with
    mid-grey, which is 0 after the -1..1 normalisation (as PaddleOCR pads)."""
    h, w = crop.shape[:2]
    new_w = min(width, max(1, math.ceil(height * w / max(h, 1))))
    canvas = np.full((height, width, 3), 127.5, dtype=np.float32)
    canvas[:, :new_w] = resize_bilinear(crop, new_w, height)
    return canvas
