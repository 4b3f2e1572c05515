"""Peak resident memory of each service process, from Linux's /proc/<pid>/status.

VmHWM is the kernel's own high-water mark of the process's RSS, so sampling only has to happen
before the process ends (a restarted service gets a new pid; the peak is the largest of them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path


def peak_rss_bytes(pid: int) -> int | None:
    """The process's peak RSS so far, or None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


class PeakRssSampler:
    """Reads every process's high-water mark every `interval` seconds in a thread."""

    def __init__(self, pids: Callable[[], dict[str, int]], interval: float = 0.5) -> None:
        self._pids = pids
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self.peaks: dict[str, int] = {}

    def __enter__(self) -> PeakRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def sample(self) -> None:
        for name, pid in self._pids().items():
            peak = peak_rss_bytes(pid)
            if peak is not None:
                self.peaks[name] = max(self.peaks.get(name, 0), peak)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()
