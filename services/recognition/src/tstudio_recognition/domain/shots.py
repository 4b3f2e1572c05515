"""Content-based shot (cut) detection, no model: a cut is where the mean HSV change between two
consecutive frames passes a threshold, with a minimum shot length so flashes do not split shots.
The score has the same scale as PySceneDetect's ContentDetector (default threshold 27)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from svckit.errors import FieldViolation, InvalidArgument

from tstudio_recognition.domain.result_cache import ResultCache
from tstudio_recognition.domain.video import VideoSource

DEFAULT_THRESHOLD = 27.0
DEFAULT_MIN_SHOT_SECONDS = 0.5


@dataclass(frozen=True)
class Shot:
    index: int
    start: float
    end: float
    start_frame: int
    end_frame: int


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB to float32 HSV with OpenCV's ranges (H 0..180, S and V 0..255)."""
    pixels = rgb.astype(np.float32)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    value = pixels.max(axis=-1)
    low = pixels.min(axis=-1)
    chroma = value - low
    safe = np.where(chroma == 0, 1.0, chroma)
    saturation = np.where(value == 0, 0.0, chroma / np.where(value == 0, 1.0, value) * 255.0)
    hue = np.where(
        value == r, (g - b) / safe, np.where(value == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe)
    )
    hue = np.where(chroma == 0, 0.0, (hue * 30.0) % 180.0)
    return np.stack([hue, saturation, value], axis=-1)


def check_shot_params(threshold: float, min_shot_seconds: float) -> tuple[float, float]:
    """Validate the request's values and apply the defaults for zeros."""
    violations = []
    if not 0 <= threshold <= 255:
        violations.append(FieldViolation("threshold", "must be between 0 and 255 (0 means the default, 27)"))
    if not 0 <= min_shot_seconds <= 3600:
        violations.append(FieldViolation("min_shot_seconds", "must be between 0 and 3600"))
    if violations:
        raise InvalidArgument("invalid shot detection parameters", field_violations=violations)
    return threshold or DEFAULT_THRESHOLD, min_shot_seconds or DEFAULT_MIN_SHOT_SECONDS


class ShotDetector:
    """Feed every frame in order (`push`); `shots()` gives the shot list once the last frame is in."""

    def __init__(
        self, threshold: float = DEFAULT_THRESHOLD, min_shot_seconds: float = DEFAULT_MIN_SHOT_SECONDS
    ):
        self.threshold = threshold
        self.min_shot_seconds = min_shot_seconds
        self.cuts: list[tuple[float, int]] = []
        self._previous: np.ndarray | None = None
        self._shot_start = (0.0, 0)
        self._first: tuple[float, int] | None = None
        self._last: tuple[float, int] = (0.0, 0)
        self._frame_duration = 0.0

    def push(self, time: float, frame_index: int, rgb_small: np.ndarray) -> float:
        """Add the next frame (a small RGB thumbnail is plenty); returns its change score."""
        hsv = rgb_to_hsv(rgb_small)
        if self._first is None:
            self._first = self._shot_start = (time, frame_index)
        score = 0.0
        if self._previous is not None:
            score = float(np.abs(hsv - self._previous).mean(axis=(0, 1)).mean())
            if score >= self.threshold and time - self._shot_start[0] >= self.min_shot_seconds:
                self.cuts.append((time, frame_index))
                self._shot_start = (time, frame_index)
            self._frame_duration = time - self._last[0]
        self._previous = hsv
        self._last = (time, frame_index)
        return score

    def shots(self) -> list[Shot]:
        if self._first is None:
            return []
        end = (self._last[0] + self._frame_duration, self._last[1] + 1)
        bounds = [self._first, *self.cuts, end]
        return [
            Shot(index, bounds[index][0], bounds[index + 1][0], bounds[index][1], bounds[index + 1][1] - 1)
            for index in range(len(bounds) - 1)
        ]


def detect_shots(source: VideoSource, threshold: float, min_shot_seconds: float) -> list[Shot]:
    """Every frame of the video through a ShotDetector (blocking: run it in a pool)."""
    detector = ShotDetector(threshold, min_shot_seconds)
    for frame in source.frames(0.0, float("inf"), None, None, thumbs=True):
        if frame.thumb is not None:
            detector.push(frame.time, frame.index, frame.thumb)
    return detector.shots()


class ShotFinder:
    """DetectShots: validated parameters, detection in the pool, results cached by (file identity, parameters)."""

    def __init__(self, run_blocking: Callable[..., Awaitable[Any]], cache: ResultCache) -> None:
        self._run = run_blocking
        self._cache = cache

    async def find(self, source: VideoSource, threshold: float, min_shot_seconds: float) -> list[Shot]:
        threshold, min_shot_seconds = check_shot_params(threshold, min_shot_seconds)
        key = ("shots", source.info.identity, threshold, min_shot_seconds)
        shots = self._cache.get(key)
        if shots is None:
            shots = await self._run(detect_shots, source, threshold, min_shot_seconds)
            self._cache.put(key, shots)
        return list(shots)
