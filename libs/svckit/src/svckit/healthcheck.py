"""`python -m svckit.healthcheck [HOST:PORT] [SERVICE]`: exit 0 when the gRPC server reports
SERVING. For container HEALTHCHECKs, where no grpc_health_probe binary is at hand."""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def check(address: str, service: str = "", timeout: float = 3.0) -> bool:
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def main(argv: list[str]) -> int:
    address = argv[0] if argv else "127.0.0.1:50051"
    service = argv[1] if len(argv) > 1 else ""
    return 0 if check(address, service) else 1


async def wait_serving(address: str, timeout: float = 30.0, service: str = "") -> None:
    """Return once `address` answers SERVING; raise TimeoutError after `timeout` seconds."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{address} did not report SERVING within {timeout:.0f}s")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
