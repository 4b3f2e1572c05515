"""A `Renderer` that renders segment by segment through the segment cache and joins the segments
without re-encoding: after an edit only the segments it touched are encoded again.

Used when COMPILER_SEGMENT_CACHE_BYTES is set; outputs the joiner cannot write (webm, gif) and
plugin effects and transitions (not in the cache key's reach) take the single-pass path.
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from svckit.errors import Cancelled

from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer, source_identities
from tstudio_compiler.adapters.segment_pool import Job, default_workers, run_segments
from tstudio_compiler.adapters.segment_renderer import cached_audio, job_spec, source_fingerprints
from tstudio_compiler.domain.encoding import EncodeSettings
from tstudio_compiler.domain.plan import RenderPlan
from tstudio_compiler.domain.ports import ProgressCallback, RenderStats
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.adapters.segment_join import join_segments

log = logging.getLogger(__name__)

_JOINABLE = {"mp4", "mov", "matroska"}
_SUFFIX = {"mp4": ".mp4", "mov": ".mov", "matroska": ".mkv"}
# Output names the joiner can write.
_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv"}
_SEGMENT_VIDEO = {"libx264", "libx265"}
_SEGMENT_AUDIO = {"", "aac"}


def splittable(plan: RenderPlan, encode: EncodeSettings) -> bool:
    """Whether the render can go segment by segment (cached, or spread over replicas) and be joined
    without re-encoding. Plugin effects and transitions are excluded because the cache key cannot see
    plugin code."""
    plugged = any(spec.plugin_types() for s in plan.segments for spec in s.graph.inputs)
    joinable = encode.container_format in _JOINABLE and Path(plan.output.path).suffix.lower() in _SUFFIXES
    # Codecs whose segments are known to join: other ones (prores, av1, pcm, mp3 ...) render in
    # one pass, so the default-on cache never makes a first render fail. Chapters are written by
    # the single-pass path only (the joiner copies packets, not chapters).
    codecs = encode.video_encoder in _SEGMENT_VIDEO and encode.audio_encoder in _SEGMENT_AUDIO
    # Nested timelines render in one pass (their own sources are not in the segment keys).
    plugged = plugged or any(spec.kind == "nested" for s in plan.segments for spec in s.graph.inputs)
    return joinable and codecs and not plugged and encode.software_fallback is None and not plan.markers


class SegmentedRenderer:
    def __init__(
        self,
        cache: SegmentCache,
        work_dir: Path,
        single_pass: PyAvRenderer | None = None,
        workers: int | None = None,
    ) -> None:
        self._cache = cache
        self._workers = default_workers() if workers is None else max(1, workers)
        self._work_dir = work_dir
        self._single = single_pass or PyAvRenderer()

    @property
    def cache(self) -> SegmentCache:
        return self._cache

    @property
    def single_pass(self) -> PyAvRenderer:
        """The renderer that bypasses the cache (a render with no_cache)."""
        return self._single

    def items(self) -> list[tuple[str, str, bool]]:
        stats = self._cache.stats()
        return [
            ("cache.segments.entries", str(stats.entries), True),
            ("cache.segments.bytes", f"{stats.bytes}/{stats.max_bytes}", True),
            ("cache.segments.hits", str(stats.hits), True),
            ("cache.segments.misses", str(stats.misses), True),
            ("cache.segments.corrupted", str(stats.corrupted), stats.corrupted == 0),
        ]

    def render(
        self, plan: RenderPlan, encode: EncodeSettings, progress: ProgressCallback, cancelled: threading.Event
    ) -> RenderStats:
        if not splittable(plan, encode):
            return self._single.render(plan, encode, progress, cancelled)
        started = time.monotonic()
        # As the one-pass renderer does: the output's folder exists from the start.
        Path(plan.output.path).parent.mkdir(parents=True, exist_ok=True)
        self._work_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="job-", dir=self._work_dir))
        try:
            progress(0, plan.frames, "preparing")
            fingerprints = source_fingerprints(plan)
            audio = work / "audio.m4a" if encode.audio_encoder else None
            job = job_spec(plan, encode, uuid.uuid4().hex, str(audio or ""), fingerprints)
            paths = [work / f"{spec.index:06d}{_SUFFIX[encode.container_format]}" for spec in job.segments]
            # The cached segments first (a link and a checksum each), then the others encoded
            # concurrently with each other and with the sound (segment_pool).
            missing = []
            for spec, segment, path in zip(job.segments, plan.segments, paths, strict=True):
                if cancelled.is_set():
                    raise Cancelled("render cancelled")
                if not self._cache.fetch(spec.key, path):
                    missing.append(Job(spec.key, spec.description, str(path), segment.frames))
            reused = len(paths) - len(missing)
            sound = (
                functools.partial(cached_audio, plan, encode, audio, self._cache, fingerprints)
                if audio is not None
                else None
            )
            run_segments(
                missing,
                self._single,
                self._cache,
                progress=progress,
                total=plan.frames,
                done=plan.frames - sum(j.frames for j in missing),
                cancelled=cancelled,
                workers=self._workers,
                side=sound,
            )
            progress(plan.frames, plan.frames, "finalizing")
            # Written under the roots by a walk that follows no swapped symlink, never onto a source.
            result = join_segments(
                paths, plan.output.path, audio, self._single.output_roots, source_identities(plan)
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("rendered %d segments, %d from the cache", len(paths), reused)
        return RenderStats(
            output_path=result.output_path,
            frames=result.frames,
            duration=result.frames / plan.fps,
            size_bytes=result.size_bytes,
            video_encoder=encode.video_encoder,
            fallback_reason=encode.fallback_reason,
            segments=len(paths),
            segments_reused=reused,
            wall_seconds=time.monotonic() - started,
        )
