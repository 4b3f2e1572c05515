"""Errors as the gateway's clients see them: an HTTP status and a JSON body with the details."""

from __future__ import annotations

import math
from typing import Any

from svckit.errors import ServiceError

from tstudio_gateway.domain.commands import UnknownCommand
from tstudio_gateway.domain.http_status import http_status
from tstudio_gateway.domain.scopes import MissingScope


def error_body(error: ServiceError) -> dict[str, Any]:
    """`{"error": {...}}` with the code, message, reason and whatever details the error carries."""
    details = error.details
    body: dict[str, Any] = {
        "code": error.code.value,
        "status": http_status(error),
        "message": error.message,
        "reason": error.reason,
    }
    if error.metadata:
        body["metadata"] = dict(error.metadata)
    if details.field_violations:
        body["field_violations"] = [
            {"field": v.field, "description": v.description} for v in details.field_violations
        ]
    if details.resources:
        body["resources"] = [
            {"type": r.type, "name": r.name, "description": r.description} for r in details.resources
        ]
    if details.quota_violations:
        body["quota_violations"] = [
            {"subject": q.subject, "description": q.description} for q in details.quota_violations
        ]
    if details.retry_after_seconds is not None:
        body["retry_after_seconds"] = details.retry_after_seconds
    if isinstance(error, UnknownCommand):
        body["near_names"] = error.near
    if isinstance(error, MissingScope):
        body["missing_scopes"] = error.missing
    return {"error": body}


def retry_after_header(error: ServiceError) -> dict[str, str]:
    """Retry-After (whole seconds, at least 1) when the error says when to come back."""
    seconds = error.details.retry_after_seconds
    if seconds is None and http_status(error) != 429:
        return {}
    return {"Retry-After": str(max(1, math.ceil(seconds or 1)))}
