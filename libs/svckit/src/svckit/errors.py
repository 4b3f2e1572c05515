"""The error tree every service raises from its domain code.

Pure Python on purpose: domain modules import these without pulling in grpc. Each error carries the
name of its gRPC status code; `svckit.grpc_errors` turns it into a rich `google.rpc.Status` at the
servicer boundary (ErrorInfo always, BadRequest, ResourceInfo, QuotaFailure, RetryInfo when set).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class Code(enum.Enum):
    """gRPC status codes by name, mirrored so domain code needs no grpc import."""

    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"
    DATA_LOSS = "DATA_LOSS"
    UNAUTHENTICATED = "UNAUTHENTICATED"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field, by its path in the request (`tracks[0].clips[2].speed`)."""

    field: str
    description: str


@dataclass(frozen=True)
class Resource:
    """The thing an error is about (`ResourceInfo`)."""

    type: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class QuotaViolation:
    subject: str
    description: str


@dataclass
class ErrorDetails:
    field_violations: list[FieldViolation] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    quota_violations: list[QuotaViolation] = field(default_factory=list)
    retry_after_seconds: float | None = None


class ServiceError(Exception):
    """Base of every error a service reports to its callers.

    `message` is shown to callers, so it must never hold secrets or internal details. `reason` is a
    stable UPPER_SNAKE identifier for programs (ErrorInfo.reason).
    """

    code: Code = Code.UNKNOWN
    default_reason: str = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[FieldViolation] = (),
        resources: Iterable[Resource] = (),
        quota_violations: Iterable[QuotaViolation] = (),
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})
        self.details = ErrorDetails(
            field_violations=list(field_violations),
            resources=list(resources),
            quota_violations=list(quota_violations),
            retry_after_seconds=retry_after_seconds,
        )


class InvalidArgument(ServiceError):
    code = Code.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"


class NotFound(ServiceError):
    code = Code.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(ServiceError):
    code = Code.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class PermissionDenied(ServiceError):
    code = Code.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(ServiceError):
    code = Code.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class FailedPrecondition(ServiceError):
    code = Code.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(ServiceError):
    code = Code.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Aborted(ServiceError):
    code = Code.ABORTED
    default_reason = "ABORTED"


class OutOfRange(ServiceError):
    code = Code.OUT_OF_RANGE
    default_reason = "OUT_OF_RANGE"


class Cancelled(ServiceError):
    code = Code.CANCELLED
    default_reason = "CANCELLED"


class DeadlineExceeded(ServiceError):
    code = Code.DEADLINE_EXCEEDED
    default_reason = "DEADLINE_EXCEEDED"


class Unimplemented(ServiceError):
    code = Code.UNIMPLEMENTED
    default_reason = "UNIMPLEMENTED"


class Unavailable(ServiceError):
    code = Code.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class DataLoss(ServiceError):
    code = Code.DATA_LOSS
    default_reason = "DATA_LOSS"


class Internal(ServiceError):
    code = Code.INTERNAL
    default_reason = "INTERNAL"
