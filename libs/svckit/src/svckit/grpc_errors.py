"""The boundary between domain errors and gRPC status.

Server side, `ErrorInterceptor` turns a `ServiceError` into a rich `google.rpc.Status` (ErrorInfo
always, plus BadRequest / ResourceInfo / QuotaFailure / RetryInfo when the error carries them) and
anything unexpected into INTERNAL with a generic message and the trace id, logging the real cause.
Client side, `error_details` unpacks those details from a failed call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from svckit.errors import (
    Code,
    FieldViolation,
    QuotaViolation,
    Resource,
    ServiceError,
    Unimplemented,
)
from svckit.finite_numbers import check_numbers
from svckit.telemetry import current_trace_id

log = logging.getLogger(__name__)

ERROR_DOMAIN_SUFFIX = "tstudio"


def grpc_code(code: Code) -> grpc.StatusCode:
    return grpc.StatusCode[code.value]


def to_rpc_status(error: ServiceError, domain: str, trace_id: str) -> status_pb2.Status:
    """Pack a domain error into a `google.rpc.Status` with its details."""
    code = grpc_code(error.code)
    status = status_pb2.Status(code=code.value[0], message=error.message)
    metadata = dict(error.metadata)
    metadata["trace_id"] = trace_id
    _pack(status, error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=metadata))
    details = error.details
    if details.field_violations:
        _pack(
            status,
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in details.field_violations
                ]
            ),
        )
    for resource in details.resources:
        _pack(
            status,
            error_details_pb2.ResourceInfo(
                resource_type=resource.type, resource_name=resource.name, description=resource.description
            ),
        )
    if details.quota_violations:
        _pack(
            status,
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(subject=q.subject, description=q.description)
                    for q in details.quota_violations
                ]
            ),
        )
    if details.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(details.retry_after_seconds * 1e9))
        _pack(status, error_details_pb2.RetryInfo(retry_delay=delay))
    return status


def _pack(status: status_pb2.Status, message: Any) -> None:
    status.details.add().Pack(message)


def internal_status(domain: str, trace_id: str) -> status_pb2.Status:
    status = status_pb2.Status(code=code_pb2.INTERNAL, message=f"internal error (trace {trace_id})")
    _pack(
        status,
        error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain, metadata={"trace_id": trace_id}),
    )
    return status


@dataclass
class RichError:
    """What a client learns from a failed call, details unpacked."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    quota_violations: list[QuotaViolation] = field(default_factory=list)
    retry_after_seconds: float | None = None


def error_details(error: grpc.RpcError) -> RichError:
    """Unpack the rich status of a failed call (sync or aio)."""
    call: Any = error
    rich = RichError(code=call.code(), message=call.details() or "")
    status = rpc_status.from_call(call)
    if status is None:
        return rich
    for any_detail in status.details:
        if any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            any_detail.Unpack(info)
            rich.reason, rich.domain, rich.metadata = info.reason, info.domain, dict(info.metadata)
        elif any_detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            any_detail.Unpack(bad)
            rich.field_violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif any_detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            res = error_details_pb2.ResourceInfo()
            any_detail.Unpack(res)
            rich.resources.append(Resource(res.resource_type, res.resource_name, res.description))
        elif any_detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
            quota = error_details_pb2.QuotaFailure()
            any_detail.Unpack(quota)
            rich.quota_violations += [QuotaViolation(v.subject, v.description) for v in quota.violations]
        elif any_detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            any_detail.Unpack(retry)
            rich.retry_after_seconds = retry.retry_delay.ToNanoseconds() / 1e9
    return rich


# -- server interceptors ------------------------------------------------------------------------

Observer = Callable[[str, grpc.StatusCode, float], None]


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Maps exceptions leaving a servicer to gRPC status, and reports each call's outcome.

    `observer(method, code, seconds)` is called once per call (RED metrics).
    """

    def __init__(
        self, service: str, observer: Observer | None = None, documents: Collection[str] = ()
    ) -> None:
        self._domain = f"{service}.{ERROR_DOMAIN_SUFFIX}"
        self._observer = observer
        # Request fields whose numbers are reported by paths relative to them (svckit.finite_numbers).
        self._documents = frozenset(documents)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(method, handler.stream_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                self._wrap_stream(method, handler.stream_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _wrap_unary(self, method: str, behavior: Any) -> Any:
        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                # Every request's numbers are finite and bounded before any servicer sees them.
                check_numbers(request, self._documents)
                return await behavior(request, context)
            except BaseException as exc:
                code, status = self._classify(method, exc, context)
                if status is None:
                    raise
                await _abort(context, status)
            finally:
                self._observe(method, code, context, started)

        return wrapper

    def _wrap_stream(self, method: str, behavior: Any) -> Any:
        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                check_numbers(request, self._documents)
                async for item in behavior(request, context):
                    yield item
            except BaseException as exc:
                code, status = self._classify(method, exc, context)
                if status is None:
                    raise
                await _abort(context, status)
            finally:
                self._observe(method, code, context, started)

        return wrapper

    def _classify(
        self, method: str, exc: BaseException, context: grpc.aio.ServicerContext
    ) -> tuple[grpc.StatusCode, status_pb2.Status | None]:
        """The code for `exc` and the status to abort with; None means re-raise as is."""
        if isinstance(exc, grpc.aio.AbortError):
            return _context_code(context) or grpc.StatusCode.UNKNOWN, None
        if not isinstance(exc, Exception):  # cancellation, interpreter exit
            return grpc.StatusCode.CANCELLED, None
        trace_id = current_trace_id()
        if isinstance(exc, NotImplementedError):
            exc = Unimplemented(f"{method} is not implemented yet", reason="NOT_IMPLEMENTED")
        if isinstance(exc, ServiceError):
            log.info("%s failed: %s %s", method, exc.code.value, exc.message)
            return grpc_code(exc.code), to_rpc_status(exc, self._domain, trace_id)
        log.error("%s failed unexpectedly (trace %s)", method, trace_id, exc_info=exc)
        return grpc.StatusCode.INTERNAL, internal_status(self._domain, trace_id)

    def _observe(
        self, method: str, code: grpc.StatusCode, context: grpc.aio.ServicerContext, started: float
    ) -> None:
        if self._observer is None:
            return
        if code is grpc.StatusCode.OK:
            code = _context_code(context) or grpc.StatusCode.OK
        self._observer(method, code, time.perf_counter() - started)


def _context_code(context: grpc.aio.ServicerContext) -> grpc.StatusCode | None:
    try:
        code = context.code()
    except (AttributeError, NotImplementedError):
        return None
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):
        for candidate in grpc.StatusCode:
            if candidate.value[0] == code:
                return candidate
    return None


async def _abort(context: grpc.aio.ServicerContext, status: status_pb2.Status) -> None:
    as_grpc = rpc_status.to_status(status)
    await context.abort(as_grpc.code, as_grpc.details, trailing_metadata=as_grpc.trailing_metadata)
