"""`create_server(settings, deps)`: the compiler's gRPC server, built the same way for `__main__`
and for tests (which bind port 0)."""

from __future__ import annotations

from svckit.server import GrpcService, ServerHandle
from svckit.server import create_server as create_grpc_server
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc

from tstudio_compiler.api.compiler_servicer import CompilerServicer
from tstudio_compiler.api.scale_rpc import ScaleRpc
from tstudio_compiler.domain.compiler import Compiler
from tstudio_compiler.plugins import PluginRegistry
from tstudio_compiler.settings import CompilerSettings

SERVICE_NAME = compiler_pb2.DESCRIPTOR.services_by_name["CompilerService"].full_name


def create_server(
    settings: CompilerSettings, compiler: Compiler, plugins: PluginRegistry | None = None
) -> ServerHandle:
    service = GrpcService(
        SERVICE_NAME,
        CompilerServicer(compiler, plugins, ScaleRpc.for_compiler(settings, compiler)),
        compiler_pb2_grpc.add_CompilerServiceServicer_to_server,
    )
    # A project's fields are named from the project (`tracks[0].clips[1].start`), as validation does.
    return create_grpc_server(settings, [service], service="compiler", documents=("project",))
