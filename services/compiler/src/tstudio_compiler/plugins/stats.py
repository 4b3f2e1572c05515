"""Per-plugin counters: every call is counted and audited (calls, fuel, time, faults by reason)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PluginStatsSnapshot:
    plugin_id: str
    calls: int
    faults: int
    fuel_used: int
    seconds: float
    peak_memory_bytes: int
    faults_by_reason: dict[str, int] = field(default_factory=dict)
    last_fault: str = ""


class PluginStats:
    """Thread-safe: worker threads record, the servicer and the metrics endpoint read snapshots."""

    def __init__(self, plugin_id: str) -> None:
        self.plugin_id = plugin_id
        self._lock = threading.Lock()
        self._calls = 0
        self._fuel = 0
        self._seconds = 0.0
        self._peak_memory = 0
        self._faults: Counter[str] = Counter()
        self._last_fault = ""

    def record(
        self, *, fuel: int, seconds: float, memory_bytes: int, fault_reason: str = "", fault: str = ""
    ) -> None:
        with self._lock:
            self._calls += 1
            self._fuel += fuel
            self._seconds += seconds
            self._peak_memory = max(self._peak_memory, memory_bytes)
            if fault_reason:
                self._faults[fault_reason] += 1
                self._last_fault = fault

    def snapshot(self) -> PluginStatsSnapshot:
        with self._lock:
            return PluginStatsSnapshot(
                plugin_id=self.plugin_id,
                calls=self._calls,
                faults=sum(self._faults.values()),
                fuel_used=self._fuel,
                seconds=self._seconds,
                peak_memory_bytes=self._peak_memory,
                faults_by_reason=dict(self._faults),
                last_fault=self._last_fault,
            )
