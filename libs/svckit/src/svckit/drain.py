"""Graceful stop without CANCELLED: drain the calls gRPC has queued before the server stops.

`grpc.aio` `server.stop(grace)` lets calls already handed to a handler finish, but calls still
queued inside gRPC core (received, not yet picked up by the event loop: hundreds under load) are
killed with RST_STREAM(CANCEL), which clients read as CANCELLED. So on SIGTERM the gate first
answers every call that reaches it with UNAVAILABLE (a client retries that on another replica),
keeps the server open until no call has arrived for a short quiet period, and only then stops it
with the rest of the grace period for the calls still running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

log = logging.getLogger(__name__)

# Long enough for gRPC core to hand over a queued call between two event-loop turns under load.
QUIET_SECONDS = 0.25
# Health and reflection keep answering while draining, so probes see NOT_SERVING, not errors.
_EXEMPT_PREFIXES = ("/grpc.health.", "/grpc.reflection.")


def _rejecting(handler: grpc.RpcMethodHandler, message: str) -> grpc.RpcMethodHandler:
    async def reject(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAVAILABLE, message)

    kinds = (
        (handler.unary_unary, grpc.unary_unary_rpc_method_handler),
        (handler.unary_stream, grpc.unary_stream_rpc_method_handler),
        (handler.stream_unary, grpc.stream_unary_rpc_method_handler),
        (handler.stream_stream, grpc.stream_stream_rpc_method_handler),
    )
    for behaviour, make in kinds:
        if behaviour is not None:
            return make(  # type: ignore[no-any-return]
                reject,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
    return handler


class DrainGate(grpc.aio.ServerInterceptor):
    """Once `close()` is called, every new call (health excepted) is answered UNAVAILABLE."""

    def __init__(self, service: str) -> None:
        self.message = f"the {service} service is shutting down; retry"
        self.closed = False
        self.rejected = 0
        self.last_arrival = 0.0

    def close(self) -> None:
        self.closed = True
        self.last_arrival = time.monotonic()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if not self.closed or handler is None or handler_call_details.method.startswith(_EXEMPT_PREFIXES):
            return handler
        self.last_arrival = time.monotonic()
        self.rejected += 1
        return _rejecting(handler, self.message)

    async def quiet(self, deadline: float) -> None:
        """Return once no call arrived for QUIET_SECONDS, or at `deadline` (monotonic)."""
        while True:
            now = time.monotonic()
            wait = self.last_arrival + QUIET_SECONDS - now
            if wait <= 0 or now >= deadline:
                return
            await asyncio.sleep(min(wait, deadline - now))
