"""Commands derived from the service descriptors of the generated stubs.

Every `*_pb2` module under the `tstudio` package is imported and every RPC of every service in it
becomes a command, so a new RPC is a new command with no gateway change.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

import tstudio
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from tstudio_gateway.domain.naming import snake_case
from tstudio_gateway.domain.scopes import command_scope


@dataclass(frozen=True)
class Command:
    name: str  # snake_case RPC name: "render"
    qualified: str  # "<service>.<name>": "compiler.render"
    service: str  # "compiler", the second token of the proto package
    service_full_name: str  # "tstudio.compiler.v1.CompilerService"
    method: str  # "Render"
    request_type: type[Message]
    response_type: type[Message]
    server_streaming: bool
    # The token scope calling it needs; None: any valid token (domain/scopes.py decides).
    scope: str | None

    @property
    def path(self) -> str:
        """The gRPC method path."""
        return f"/{self.service_full_name}/{self.method}"


def stub_modules(package: ModuleType = tstudio) -> list[ModuleType]:
    """Every generated `*_pb2` module below `package`."""
    modules = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith("_pb2"):
            modules.append(importlib.import_module(info.name))
    return modules


def service_descriptors(modules: Iterable[ModuleType]) -> list[ServiceDescriptor]:
    found: dict[str, ServiceDescriptor] = {}
    for module in modules:
        for service in module.DESCRIPTOR.services_by_name.values():
            found[service.full_name] = service
    return [found[name] for name in sorted(found)]


def service_short_name(service: ServiceDescriptor) -> str:
    """`tstudio.media.v1.MediaService` -> `media` (the package names the service)."""
    parts = service.full_name.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "tstudio" else parts[-1].lower()


def commands_of(service: ServiceDescriptor) -> list[Command]:
    short = service_short_name(service)
    commands = []
    for method in service.methods:
        if method.client_streaming:
            # A JSON request is one message; client-streaming RPCs are for gRPC clients.
            continue
        commands.append(_command(short, service, method))
    return commands


def _command(short: str, service: ServiceDescriptor, method: MethodDescriptor) -> Command:
    name = snake_case(method.name)
    return Command(
        name=name,
        qualified=f"{short}.{name}",
        service=short,
        service_full_name=service.full_name,
        method=method.name,
        request_type=message_factory.GetMessageClass(method.input_type),
        response_type=message_factory.GetMessageClass(method.output_type),
        server_streaming=method.server_streaming,
        scope=command_scope(short, name),
    )


def discover_commands(package: ModuleType = tstudio) -> list[Command]:
    """Commands for every RPC in the generated stubs (the `events` package has none)."""
    commands: list[Command] = []
    for service in service_descriptors(stub_modules(package)):
        commands.extend(commands_of(service))
    return commands


def local_command(name: str) -> Command:
    """A command the gateway answers itself (`gateway.<name>`): no arguments, a JSON object back."""
    from google.protobuf import empty_pb2, struct_pb2

    return Command(
        name=name,
        qualified=f"gateway.{name}",
        service="gateway",
        service_full_name="tstudio.gateway",
        method=name,
        request_type=empty_pb2.Empty,
        response_type=struct_pb2.Struct,
        server_streaming=False,
        scope=command_scope("gateway", name),
    )
