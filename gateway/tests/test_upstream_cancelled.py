"""An upstream CANCELLED the gateway's client did not cause (a backend killing queued calls as it
stops) is a retryable 503 with Retry-After, not 499."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from svckit.bus import InProcessBus

from .conftest import Gateway, MediaProcess, start_gateway


class CancellingHandler(grpc.GenericRpcHandler):
    """Answers every method the way a stopping server answers the calls still queued in it."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        async def cancel(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await context.abort(grpc.StatusCode.CANCELLED, "CANCELLED")

        return grpc.unary_unary_rpc_method_handler(cancel)


@pytest.fixture
async def cancelling_gateway(media_service: MediaProcess) -> AsyncIterator[Gateway]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((CancellingHandler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    bus = InProcessBus()
    try:
        async for running in start_gateway(media_service, None, bus, recognition_addr=f"127.0.0.1:{port}"):
            yield running
    finally:
        await bus.close()
        await server.stop(0)


async def test_upstream_cancelled_is_503_with_retry_after(cancelling_gateway: Gateway) -> None:
    reply = await cancelling_gateway.invoke("get_available_yolo_models", {})
    assert reply.status == 503
    assert int(reply.headers["Retry-After"]) >= 1
    error = (await reply.json())["error"]
    assert error["code"] == "UNAVAILABLE"
    assert error["reason"] == "SERVICE_UNAVAILABLE"
