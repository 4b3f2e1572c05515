"""gRPC channels to the services and generic calls by method path.

The calls use the request/response classes of each command with no per-service stub, so every RPC
in the contracts can be called the same way. Deadlines are passed to gRPC, which sends them on to
the service (`grpc-timeout`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tstudio_gateway.adapters.contracts import Command
from tstudio_gateway.adapters.upstream_errors import translate
from tstudio_gateway.domain.commands import CommandNotAvailable

log = logging.getLogger(__name__)

ChannelFactory = Callable[[str], grpc.aio.Channel]
Metadata = Sequence[tuple[str, str]]


class Backends:
    """One lazily opened channel per service address."""

    def __init__(self, addresses: Mapping[str, str], channel_factory: ChannelFactory) -> None:
        self.addresses = dict(addresses)
        self._factory = channel_factory
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._unary: dict[str, Any] = {}
        self._stream: dict[str, Any] = {}

    def channel(self, service: str) -> grpc.aio.Channel:
        channel = self._channels.get(service)
        if channel is None:
            address = self.addresses.get(service)
            if not address:
                raise CommandNotAvailable(f"the {service} service is not configured on this gateway")
            channel = self._channels[service] = self._factory(address)
        return channel

    async def unary(
        self, command: Command, request: Message, *, timeout: float | None, metadata: Metadata = ()
    ) -> Message:
        call = self._unary.get(command.path)
        if call is None:
            call = self._unary[command.path] = self.channel(command.service).unary_unary(
                command.path,
                request_serializer=command.request_type.SerializeToString,
                response_deserializer=command.response_type.FromString,
            )
        try:
            response: Message = await call(request, timeout=timeout, metadata=metadata or None)
        except grpc.RpcError as exc:
            raise translate(exc, command.qualified, command.service, timeout) from None
        return response

    async def stream(
        self, command: Command, request: Message, *, timeout: float | None, metadata: Metadata = ()
    ) -> AsyncGenerator[Message, None]:
        """The responses of a server-streaming call; closing the iterator cancels the call."""
        call_factory = self._stream.get(command.path)
        if call_factory is None:
            call_factory = self._stream[command.path] = self.channel(command.service).unary_stream(
                command.path,
                request_serializer=command.request_type.SerializeToString,
                response_deserializer=command.response_type.FromString,
            )
        call = call_factory(request, timeout=timeout, metadata=metadata or None)
        try:
            async for response in call:
                yield response
        except grpc.RpcError as exc:
            raise translate(exc, command.qualified, command.service, timeout) from None
        finally:
            call.cancel()

    async def health(self, service: str, timeout: float = 2.0) -> str:
        """The service's grpc.health.v1 status name, or UNREACHABLE / NOT_CONFIGURED."""
        if not self.addresses.get(service):
            return "NOT_CONFIGURED"
        stub = health_pb2_grpc.HealthStub(self.channel(service))
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return "UNREACHABLE"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()
        self._unary.clear()
        self._stream.clear()
