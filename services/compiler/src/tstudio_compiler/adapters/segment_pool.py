"""Encoding the segments a cached render misses, several at a time.

One segment's encode leaves cores idle (its encoder starts up and drains its frame threads at
both ends; the picture pipeline is partly serial Python), and the whole-timeline sound is encoded
on its own: run side by side, a first render through the cache keeps pace with the single-pass
renderer instead of paying for both one after the other. Each segment is still encoded by itself,
from its own description, into its own file, so the outputs do not depend on the scheduling.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svckit.errors import Cancelled

from tstudio_compiler.adapters.pyav_renderer import PyAvRenderer
from tstudio_compiler.domain.ports import ProgressCallback
from tstudio_compiler.domain.segment_description import from_description
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache

# More than two encodes at once buys little (each x264 already threads) and costs memory.
_MAX_WORKERS = 2


def default_workers() -> int:
    """Segments encoded at once: 2 where the process may use 2 cores or more, else 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(_MAX_WORKERS, cores))


@dataclass(frozen=True)
class Job:
    key: str
    description: Mapping[str, Any]
    path: str
    frames: int


class _Linked(threading.Event):
    """Set when the render is cancelled or another segment failed: the other encodes stop early."""

    def __init__(self, parent: threading.Event) -> None:
        super().__init__()
        self._parent = parent

    def is_set(self) -> bool:
        return self._parent.is_set() or super().is_set()


def run_segments(
    jobs: list[Job],
    renderer: PyAvRenderer,
    cache: SegmentCache,
    *,
    progress: ProgressCallback,
    total: int,
    done: int,
    cancelled: threading.Event,
    workers: int,
    side: Callable[[], object] | None = None,
) -> None:
    """Encode each job into its path and put it in the cache; `side` (the sound) runs beside them.
    Progress is the frames of the segments done plus those under way, from `done` up to `total`.
    The first failure stops the others and is raised; a cancellation raises Cancelled."""
    stop = _Linked(cancelled)
    lock = threading.Lock()
    under_way: dict[int, int] = {}
    finished = [done]

    def report() -> None:
        progress(finished[0] + sum(under_way.values()), total, "running")

    def encode(index: int, job: Job) -> None:
        if stop.is_set():
            raise Cancelled("render cancelled")
        plan, settings = from_description(job.description, job.path)

        def forward(frames: int, _total: int, stage: str) -> None:
            if stage == "running":
                with lock:
                    under_way[index] = frames
                    report()

        renderer.render(plan, settings, forward, stop)
        cache.put(job.key, Path(job.path))
        with lock:
            under_way.pop(index, None)
            finished[0] += job.frames
            report()

    # Longest first, the short transition segments fill in at the end; the sound (one core for
    # about as long as a long segment) goes after the first `workers` segments, so that no more
    # than `workers` encodes compete for the cores at any time (measured: a little faster than a
    # thread of its own from the start).
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].frames)
    workers = max(1, min(workers, len(jobs) + (side is not None)))
    tasks: list[Callable[[], object]] = [functools.partial(encode, i, jobs[i]) for i in order]
    if side is not None:
        tasks.insert(min(workers, len(tasks)), side)
    if workers == 1:
        for task in tasks:
            task()
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="segment") as pool:
        # Each task runs in a copy of the caller's context: its log lines keep the render's trace.
        futures = [pool.submit(contextvars.copy_context().run, task) for task in tasks]
        wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.done() and f.exception() is not None for f in futures):
            stop.set()
            for future in futures:
                future.cancel()
        wait(futures)
    errors = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
    # The failure that stopped the others, not their Cancelled.
    errors.sort(key=lambda e: isinstance(e, Cancelled))
    if cancelled.is_set():
        raise Cancelled("render cancelled")
    if errors:
        raise errors[0]  # type: ignore[misc]
