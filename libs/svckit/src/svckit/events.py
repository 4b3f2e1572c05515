"""Event subjects and the `tstudio.events.v1.Event` envelope."""

from __future__ import annotations

import re
import uuid
from typing import Any

from google.protobuf import timestamp_pb2
from tstudio.events.v1 import events_pb2

from svckit.telemetry import inject_headers

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


def subject(service: str, entity: str, entity_id: str, event: str) -> str:
    """`tstudio.<service>.<entity>.<id>.<event>`; each token must be a plain NATS token."""
    for token in (service, entity, entity_id, event):
        if not _TOKEN.match(token):
            raise ValueError(f"invalid subject token {token!r}")
    return f"tstudio.{service}.{entity}.{entity_id}.{event}"


def event_type(subject_name: str) -> str:
    """The type of events on a subject: the subject without its id token."""
    parts = subject_name.split(".")
    if len(parts) == 5:
        return ".".join(parts[:3] + parts[4:])
    return subject_name


def new_event(source: str, subject_name: str, **payload: Any) -> events_pb2.Event:
    """Build the envelope; `payload` is one keyword naming the one-of field, e.g.
    `new_event("media", subj, probe_completed=ProbeCompleted(...))`."""
    if len(payload) != 1:
        raise ValueError("exactly one payload field is required")
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    event = events_pb2.Event(
        id=str(uuid.uuid4()),
        type=event_type(subject_name),
        source=source,
        subject=subject_name,
        time=now,
        traceparent=inject_headers().get("traceparent", ""),
        **payload,
    )
    return event
