"""The services' own view of the run, from each Prometheus endpoint."""

from __future__ import annotations

import urllib.request
from collections import Counter
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class ServerMetrics:
    # `tstudio_rpc_requests_total` summed over methods, by status code.
    rpc_codes: dict[str, int] = field(default_factory=dict)
    # Every `tstudio_*` family the endpoint exposes (RED and domain metrics).
    families: list[str] = field(default_factory=list)


def scrape(metrics_url: str, timeout: float = 5.0) -> ServerMetrics | None:
    """The endpoint's figures, or None when it does not answer."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=timeout) as reply:
            text = reply.read().decode()
    except OSError:
        return None
    codes: Counter[str] = Counter()
    families = []
    for family in text_string_to_metric_families(text):
        # The text parser also yields each counter's and histogram's `_created` series as a family.
        if family.name.startswith("tstudio_") and not family.name.endswith("_created"):
            # The parser drops a counter's `_total`; name it as it is queried.
            families.append(family.name + ("_total" if family.type == "counter" else ""))
        if family.name != "tstudio_rpc_requests":
            continue
        for sample in family.samples:
            if sample.name == "tstudio_rpc_requests_total":
                codes[sample.labels.get("code", "?")] += int(sample.value)
    return ServerMetrics(rpc_codes=dict(codes), families=sorted(families))
