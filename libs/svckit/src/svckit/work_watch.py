"""Blocking work that stops moving turns health NOT_SERVING.

A worker thread blocked for good (a read that never returns, a codec that spins) still holds its
slot in the executor; once all are held, every later call waits forever while health says SERVING.
`WorkWatch.track` marks a piece of blocking work; long work calls the returned `beat` as it
progresses (a render, every few frames). Work that has not begun or beaten for `stuck_after`
seconds is stuck; `ServerHandle.watch_health` turns health NOT_SERVING while anything is, so an
orchestrator restarts or routes around the process, and back to SERVING when it moves again.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Beat = Callable[[], None]
# The beat of the work the current thread is tracked under (see `beat`).
_current = threading.local()


def beat() -> None:
    """A sign of life from whatever work this thread runs under `WorkWatch.track` (no-op outside):
    long blocking work calls it as it progresses, without being handed anything."""
    current: Beat | None = getattr(_current, "beat", None)
    if current is not None:
        current()


class WorkWatch:
    def __init__(self, stuck_after: float) -> None:
        self.stuck_after = stuck_after
        self._lock = threading.Lock()
        self._ids = itertools.count()
        # id -> (what, last sign of life, monotonic)
        self._work: dict[int, tuple[str, float]] = {}

    @contextmanager
    def track(self, what: str) -> Iterator[Beat]:
        """Mark blocking work for its duration; call the yielded `beat` whenever it progresses."""
        key = next(self._ids)
        with self._lock:
            self._work[key] = (what, time.monotonic())

        def beat() -> None:
            with self._lock:
                if key in self._work:
                    self._work[key] = (what, time.monotonic())

        outer = getattr(_current, "beat", None)
        _current.beat = beat
        try:
            yield beat
        finally:
            _current.beat = outer
            with self._lock:
                self._work.pop(key, None)

    def stuck(self) -> list[str]:
        """What has shown no sign of life for `stuck_after` seconds (`probe for 130 s`)."""
        now = time.monotonic()
        with self._lock:
            items = list(self._work.values())
        return [f"{what} for {now - since:.0f} s" for what, since in items if now - since >= self.stuck_after]

    def busy(self) -> int:
        with self._lock:
            return len(self._work)
