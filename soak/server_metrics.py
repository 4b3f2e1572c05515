"""The services' own view of the run: RPCs by status code from each Prometheus endpoint."""

from __future__ import annotations

import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families


def rpc_codes(metrics_url: str, timeout: float = 5.0) -> dict[str, int]:
    """`tstudio_rpc_requests_total` summed over methods, by code; empty when unreachable."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=timeout) as reply:
            text = reply.read().decode()
    except OSError:
        return {}
    codes: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != "tstudio_rpc_requests":
            continue
        for sample in family.samples:
            if sample.name == "tstudio_rpc_requests_total":
                codes[sample.labels.get("code", "?")] += int(sample.value)
    return dict(codes)
