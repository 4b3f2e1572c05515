"""Domain metrics of recognition on the process's Prometheus registry (served by svckit on
RECOGNITION_METRICS_PORT). Defined at import, so they are registered once per process however
many sessions or servers a process (or a test run) creates."""

from __future__ import annotations

from prometheus_client import Histogram

# Seconds, the Prometheus base unit; buckets span ~1 ms (tiny models) to seconds (big ones on CPU).
INFERENCE_SECONDS = Histogram(
    "tstudio_recognition_inference_seconds",
    "time of one onnxruntime session.run, by model",
    ["model"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
