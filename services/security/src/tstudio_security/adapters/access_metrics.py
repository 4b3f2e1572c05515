"""Secret accesses counted on the process's Prometheus registry (served by svckit on
SECURITY_METRICS_PORT), by action and whether it was allowed; never by secret name or caller, so
the label set stays small and names do not leak into metrics. Defined at import: registered once
per process."""

from __future__ import annotations

from prometheus_client import Counter

from tstudio_security.domain.ports import AuditSink

SECRETS_ACCESSED = Counter(
    "tstudio_security_secrets_accessed_total",
    "secret reads, writes and deletes, by action and whether the caller was allowed",
    ["action", "allowed"],
)


class CountingAuditSink:
    """An AuditSink that counts each access, then hands it to the next sink (the bus)."""

    def __init__(self, inner: AuditSink) -> None:
        self.inner = inner

    async def secret_accessed(self, name: str, caller: str, action: str, allowed: bool) -> None:
        SECRETS_ACCESSED.labels(action, "true" if allowed else "false").inc()
        await self.inner.secret_accessed(name, caller, action, allowed)
