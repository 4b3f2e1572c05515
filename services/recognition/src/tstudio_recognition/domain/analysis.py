"""Video analysis: a bounded pipeline where decoding the next frames overlaps inference on the current
batch, streaming progress and per-frame results, then a summary; results are cached."""

from __future__ import annotations

import math
import time as clock
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from svckit.errors import FieldViolation, InvalidArgument, OutOfRange

from tstudio_recognition.domain.detections import FrameResult
from tstudio_recognition.domain.image_ops import analysis_size
from tstudio_recognition.domain.prefetch import Prefetcher
from tstudio_recognition.domain.recognizer import DetectParams, Recognizer
from tstudio_recognition.domain.result_cache import ResultCache
from tstudio_recognition.domain.shots import ShotDetector
from tstudio_recognition.domain.summary import Summary, SummaryBuilder
from tstudio_recognition.domain.video import DecodedFrame, Sampler, VideoSource

R = TypeVar("R")
RunBlocking = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class AnalysisParams:
    detect: DetectParams
    sample_fps: float = 0.0
    every_n_frames: int = 0
    start: float = 0.0
    # 0 means the end of the video.
    end: float = 0.0


def check_range(params: AnalysisParams, duration: float, fps: float) -> tuple[float, float]:
    """The (start, end) to analyse; a range past the end of the video is refused. A container that
    does not state its duration (0) is read to its end."""
    if duration <= 0:
        return params.start, params.end or math.inf
    end = params.end or duration
    if params.start >= duration:
        raise OutOfRange(
            f"start {params.start:.3f}s is past the end of the video ({duration:.3f}s)",
            reason="TIME_RANGE_PAST_END",
            field_violations=[FieldViolation("start", f"must be below {duration:.3f}")],
        )
    if end > duration + 1.0 / fps:
        raise OutOfRange(
            f"end {end:.3f}s is past the end of the video ({duration:.3f}s)",
            reason="TIME_RANGE_PAST_END",
            field_violations=[FieldViolation("end", f"must be at most {duration:.3f}")],
        )
    return params.start, min(end, duration)


def check_sampling(sample_fps: float, every_n_frames: int, start: float, end: float) -> None:
    violations = []
    if math.isnan(sample_fps) or not 0 <= sample_fps <= 1000:
        violations.append(FieldViolation("sample_fps", "must be between 0 and 1000"))
    if every_n_frames < 0:
        violations.append(FieldViolation("every_n_frames", "must not be negative"))
    if sample_fps > 0 and every_n_frames > 0:
        violations.append(FieldViolation("every_n_frames", "set sample_fps or every_n_frames, not both"))
    if math.isnan(start) or start < 0:
        violations.append(FieldViolation("start", "must not be negative"))
    if math.isnan(end) or end < 0 or (end and end <= start):
        violations.append(FieldViolation("end", "must be after start (0 means the end of the video)"))
    if violations:
        raise InvalidArgument("invalid analysis request", field_violations=violations)


@dataclass(frozen=True)
class ProgressUpdate:
    done: int
    total: int
    rate: float
    eta_seconds: float
    frame: FrameResult | None = None


@dataclass(frozen=True)
class AnalysisResult:
    frames: tuple[FrameResult, ...]
    summary: Summary
    wall_seconds: float
    cached: bool = False


class Analyzer:
    def __init__(
        self,
        recognizer: Recognizer,
        run_blocking: RunBlocking,
        *,
        max_side: int = 640,
        batch_size: int = 4,
        pipeline_depth: int = 8,
        cache: ResultCache | None = None,
    ) -> None:
        self._recognizer = recognizer
        self._run = run_blocking
        self._max_side = max_side
        self._batch = max(1, batch_size)
        self._depth = max(1, pipeline_depth)
        self._cache = cache if cache is not None else ResultCache(0)

    @property
    def cached_results(self) -> int:
        return len(self._cache)

    def cache_key(self, source: VideoSource, params: AnalysisParams) -> tuple[object, ...]:
        models = tuple((m.name, m.sha256) for m in self._recognizer.models_for(params.detect))
        return ("analysis", source.info.identity, models, params, self._max_side)

    def check(self, source: VideoSource, params: AnalysisParams) -> tuple[float, float]:
        """Refuse a bad request before any work (sampling, time range, models); returns (start, end)."""
        check_sampling(params.sample_fps, params.every_n_frames, params.start, params.end)
        self._recognizer.models_for(params.detect)
        return check_range(params, source.info.duration, source.info.fps)

    async def analyze(
        self, source: VideoSource, params: AnalysisParams
    ) -> AsyncIterator[ProgressUpdate | AnalysisResult]:
        """Yield a ProgressUpdate per analysed frame (carrying its result), then one AnalysisResult."""
        info = source.info
        start, end = self.check(source, params)
        key = self.cache_key(source, params)
        cached = self._cache.get(key)
        if cached is not None:
            total = len(cached.frames)
            for done, frame in enumerate(cached.frames, 1):
                yield ProgressUpdate(done, total, 0.0, 0.0, frame)
            yield AnalysisResult(cached.frames, cached.summary, cached.wall_seconds, cached=True)
            return
        sampler = Sampler(params.sample_fps, params.every_n_frames, start)
        interval = sampler.interval(info.fps)
        # Unknown (0) when the container does not state its duration.
        total = max(1, round((end - start) / interval)) if math.isfinite(end) else 0
        size = analysis_size(info.width, info.height, self._max_side)
        builder = SummaryBuilder(interval=interval)
        shots = ShotDetector()
        frames: list[FrameResult] = []
        began = clock.monotonic()

        def produce() -> Any:
            return source.frames(start, end, sampler, size, thumbs=True)

        async with Prefetcher[DecodedFrame](produce, self._depth, name="decode") as decoded:
            while batch := await decoded.next_batch(self._batch * 4):
                for item in batch:
                    if item.thumb is not None:
                        shots.push(item.time, item.index, item.thumb)
                sampled = [item for item in batch if item.image is not None]
                for offset in range(0, len(sampled), self._batch):
                    chunk = sampled[offset : offset + self._batch]
                    found = await self._run(self._recognizer.detect, [f.image for f in chunk], params.detect)
                    for item, detections in zip(chunk, found, strict=True):
                        result = FrameResult(item.time, item.index, tuple(detections))
                        frames.append(result)
                        builder.add(result)
                        elapsed = clock.monotonic() - began
                        rate = len(frames) / elapsed if elapsed > 0 else 0.0
                        eta = max((total - len(frames)) / rate, 0.0) if rate > 0 and total else -1.0
                        yield ProgressUpdate(len(frames), max(total, len(frames)), rate, eta, result)
        summary = builder.finish(end if math.isfinite(end) else None, shots.shots())
        result_all = AnalysisResult(tuple(frames), summary, clock.monotonic() - began)
        self._cache.put(key, result_all)
        yield result_all
