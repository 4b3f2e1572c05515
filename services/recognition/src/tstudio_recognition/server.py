"""The recognition gRPC server, built the same way by `__main__` and by tests (port 0)."""

from __future__ import annotations

from svckit.server import GrpcService, ServerHandle
from svckit.server import create_server as create_grpc_server
from tstudio.recognition.v1 import recognition_pb2_grpc

from tstudio_recognition.api.servicer import RecognitionServicer
from tstudio_recognition.deps import RecognitionDeps
from tstudio_recognition.settings import RecognitionSettings

SERVICE_NAME = "tstudio.recognition.v1.RecognitionService"


def create_server(settings: RecognitionSettings, deps: RecognitionDeps) -> ServerHandle:
    servicer = RecognitionServicer(deps)
    service = GrpcService(
        SERVICE_NAME, servicer, recognition_pb2_grpc.add_RecognitionServiceServicer_to_server
    )
    return create_grpc_server(settings, [service], service="recognition")
