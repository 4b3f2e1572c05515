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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
