"""The compiler's domain metrics on the Prometheus endpoint: renders by outcome, frames and seconds
rendered (render fps = their rates' ratio), segments rendered and reused, queue depth, and the segment
cache's hit ratio. Counts come from finished jobs (as a `JobObserver`); the rest is read at scrape.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from tstudio_compiler.domain.jobs import JobObserver, JobStatus, JobView
from tstudio_compiler.scale.adapters.jetstream_worker import RenderWorker
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache


class CompilerMetrics(JobObserver, Collector):
    """`REGISTRY.register(metrics)` in the composition root, then `watch(...)` what it reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._renders: Counter[str] = Counter()
        self._frames = 0
        self._seconds = 0.0
        self._segments: Counter[str] = Counter()
        self._last_fps = 0.0
        self._depth: Callable[[], int] = lambda: 0
        self._cache: SegmentCache | None = None
        self._workers: list[RenderWorker] = []

    def watch(
        self,
        depth: Callable[[], int],
        cache: SegmentCache | None = None,
        workers: list[RenderWorker] | None = None,
    ) -> None:
        self._depth, self._cache, self._workers = depth, cache, list(workers or ())

    async def finished(self, job: JobView) -> None:
        with self._lock:
            self._renders[job.status.name.lower()] += 1
            stats = job.result
            if job.status is JobStatus.SUCCEEDED and stats is not None:
                self._frames += stats.frames
                self._seconds += stats.wall_seconds
                self._last_fps = stats.frames / stats.wall_seconds if stats.wall_seconds > 0 else 0.0
                self._segments["reused"] += stats.segments_reused
                self._segments["rendered"] += stats.segments - stats.segments_reused

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        with self._lock:
            renders = CounterMetricFamily("tstudio_compiler_renders", "Finished renders", labels=["status"])
            for status, count in sorted(self._renders.items()):
                renders.add_metric([status], count)
            yield renders
            yield CounterMetricFamily(
                "tstudio_compiler_rendered_frames", "Frames of successful renders", value=self._frames
            )
            yield CounterMetricFamily(
                "tstudio_compiler_render_seconds", "Wall time of successful renders", value=self._seconds
            )
            yield GaugeMetricFamily(
                "tstudio_compiler_last_render_fps",
                "Frames per second of the last render",
                value=self._last_fps,
            )
            segments = CounterMetricFamily(
                "tstudio_compiler_segments",
                "Segments of successful renders, encoded or taken from the cache",
                labels=["outcome"],
            )
            for outcome in ("rendered", "reused"):
                segments.add_metric([outcome], self._segments[outcome])
            yield segments
        yield GaugeMetricFamily(
            "tstudio_compiler_queue_depth",
            "Renders waiting or running here (local queue), or segment tasks not yet done (jetstream)",
            value=self._depth(),
        )
        if self._workers:
            worked = CounterMetricFamily(
                "tstudio_compiler_worker_segments",
                "Segment tasks this replica's workers completed",
                labels=["outcome"],
            )
            worked.add_metric(["rendered"], sum(w.segments_rendered for w in self._workers))
            worked.add_metric(["reused"], sum(w.segments_reused for w in self._workers))
            yield worked
        if self._cache is not None:
            yield from self._cache_metrics(self._cache)

    @staticmethod
    def _cache_metrics(cache: SegmentCache) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        stats = cache.stats()
        looked_up = stats.hits + stats.misses
        yield GaugeMetricFamily(
            "tstudio_compiler_cache_entries", "Segments in the cache", value=stats.entries
        )
        yield GaugeMetricFamily("tstudio_compiler_cache_bytes", "Bytes the cache holds", value=stats.bytes)
        yield CounterMetricFamily("tstudio_compiler_cache_hits", "Cache lookups that hit", value=stats.hits)
        yield CounterMetricFamily(
            "tstudio_compiler_cache_misses", "Cache lookups that missed", value=stats.misses
        )
        yield GaugeMetricFamily(
            "tstudio_compiler_cache_hit_ratio",
            "Hits over lookups since the cache was created",
            value=stats.hits / looked_up if looked_up else 0.0,
        )
