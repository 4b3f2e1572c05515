"""The server bootstrap and error interceptor, through a real grpc.aio server on port 0."""

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from svckit.channels import open_channel
from svckit.errors import FieldViolation, InvalidArgument, NotFound, Resource, ResourceExhausted
from svckit.grpc_errors import error_details
from svckit.server import GrpcService, ServerHandle, create_server
from svckit.settings import ServiceSettings
from tstudio.media.v1 import media_pb2, media_pb2_grpc

SERVICE = "tstudio.media.v1.MediaService"


class ScriptedMedia(media_pb2_grpc.MediaServiceServicer):
    """Raises whatever the request path names; GetDiagnostics is left unimplemented."""

    async def Probe(
        self, request: media_pb2.ProbeRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.ProbeResponse:
        if request.path == "invalid":
            raise InvalidArgument(
                "bad project",
                reason="INVALID_PROJECT",
                field_violations=[FieldViolation("tracks[0].clips[2].transition.duration", "must be > 0")],
            )
        if request.path == "missing":
            raise NotFound("no such file: /m.mp4", resources=[Resource("file", "/m.mp4")])
        if request.path == "busy":
            raise ResourceExhausted("queue full", retry_after_seconds=2.5)
        if request.path == "boom":
            raise RuntimeError("secret internal detail /etc/shadow")
        return media_pb2.ProbeResponse(info=media_pb2.MediaInfo(path=request.path))


@pytest.fixture
async def server() -> AsyncIterator[ServerHandle]:
    handle = create_server(
        ServiceSettings(port=0),
        [GrpcService(SERVICE, ScriptedMedia(), media_pb2_grpc.add_MediaServiceServicer_to_server)],
        service="media",
    )
    await handle.start()
    await handle.set_serving(True)
    yield handle
    await handle.stop(0)


@pytest.fixture
async def stub(server: ServerHandle) -> AsyncIterator[media_pb2_grpc.MediaServiceStub]:
    async with open_channel(f"127.0.0.1:{server.port}") as channel:
        yield media_pb2_grpc.MediaServiceStub(channel)


async def test_invalid_argument_carries_field_paths(stub: media_pb2_grpc.MediaServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Probe(media_pb2.ProbeRequest(path="invalid"))
    rich = error_details(info.value)
    assert rich.code is grpc.StatusCode.INVALID_ARGUMENT
    assert rich.reason == "INVALID_PROJECT"
    assert rich.domain == "media.tstudio"
    assert rich.field_violations == [FieldViolation("tracks[0].clips[2].transition.duration", "must be > 0")]
    assert len(rich.metadata["trace_id"]) == 32


async def test_not_found_names_the_resource(stub: media_pb2_grpc.MediaServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Probe(media_pb2.ProbeRequest(path="missing"))
    rich = error_details(info.value)
    assert rich.code is grpc.StatusCode.NOT_FOUND
    assert rich.resources == [Resource("file", "/m.mp4")]


async def test_resource_exhausted_says_when_to_retry(stub: media_pb2_grpc.MediaServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Probe(media_pb2.ProbeRequest(path="busy"))
    assert error_details(info.value).retry_after_seconds == 2.5


async def test_unexpected_error_is_internal_without_leaking_detail(
    stub: media_pb2_grpc.MediaServiceStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Probe(media_pb2.ProbeRequest(path="boom"))
    rich = error_details(info.value)
    assert rich.code is grpc.StatusCode.INTERNAL
    assert "shadow" not in rich.message
    assert rich.metadata["trace_id"] in rich.message
    # and the service keeps serving
    ok = await stub.Probe(media_pb2.ProbeRequest(path="fine"))
    assert ok.info.path == "fine"


async def test_unbuilt_rpc_answers_unimplemented(stub: media_pb2_grpc.MediaServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetDiagnostics(media_pb2.GetDiagnosticsRequest())
    assert info.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_health_and_reflection_are_served(server: ServerHandle) -> None:
    async with open_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await server.set_serving(False)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=""))
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = reflection.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        async for response in responses:
            names = {s.name for s in response.list_services_response.service}
            assert SERVICE in names
            break
