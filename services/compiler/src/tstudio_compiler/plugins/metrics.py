"""Plugin counters on the Prometheus endpoint, read from the registry's stats at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from tstudio_compiler.plugins.stats import PluginStatsSnapshot


class _StatsSource(Protocol):
    def stats(self, plugin_id: str | None = None) -> list[PluginStatsSnapshot]: ...


class PluginMetrics(Collector):
    """`prometheus_client.REGISTRY.register(PluginMetrics(registry))` in the composition root."""

    def __init__(self, source: _StatsSource) -> None:
        self._source = source

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        calls = CounterMetricFamily("tstudio_plugin_calls", "Frame calls into a plugin", labels=["plugin"])
        faults = CounterMetricFamily(
            "tstudio_plugin_faults", "Plugin calls that failed, by reason", labels=["plugin", "reason"]
        )
        fuel = CounterMetricFamily("tstudio_plugin_fuel", "Wasm fuel units consumed", labels=["plugin"])
        seconds = CounterMetricFamily("tstudio_plugin_seconds", "Wall time spent in calls", labels=["plugin"])
        memory = GaugeMetricFamily(
            "tstudio_plugin_peak_memory_bytes", "Largest linear memory seen after a call", labels=["plugin"]
        )
        for s in self._source.stats():
            calls.add_metric([s.plugin_id], s.calls)
            fuel.add_metric([s.plugin_id], s.fuel_used)
            seconds.add_metric([s.plugin_id], s.seconds)
            memory.add_metric([s.plugin_id], s.peak_memory_bytes)
            for reason, count in sorted(s.faults_by_reason.items()):
                faults.add_metric([s.plugin_id, reason], count)
        yield from (calls, faults, fuel, seconds, memory)
