"""Audit events on the bus: `tstudio.security.secret.<name>.accessed`, never carrying a value."""

from __future__ import annotations

import logging

from svckit.bus import EventBus
from svckit.events import new_event, subject
from tstudio.events.v1 import events_pb2

log = logging.getLogger(__name__)


class BusAuditSink:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    async def secret_accessed(self, name: str, caller: str, action: str, allowed: bool) -> None:
        event = new_event(
            "security",
            subject("security", "secret", name, "accessed"),
            secret_accessed=events_pb2.SecretAccessed(
                name=name, caller=caller, action=action, allowed=allowed
            ),
        )
        try:
            await self.bus.publish(event.subject, event)
        except Exception:
            # An audit outage must be visible, yet must not turn every read into an error.
            log.exception("could not publish the audit event for %s", name)
        log.info(
            "audit: %s %s %s by %s", action, name, "allowed" if allowed else "denied", caller or "anonymous"
        )
