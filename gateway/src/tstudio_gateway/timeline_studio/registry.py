"""The translated commands: a name the frontend invokes -> a handler that calls our RPCs.

A handler gets a `TauriCall` (the caller, the parsed arguments, and a way to call any RPC of the
contracts) and answers the frontend's JSON value: an object, a bare array, a string, a boolean,
a number or null, exactly as the Tauri command returned it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from tstudio_gateway.adapters.backends import Backends
from tstudio_gateway.adapters.contracts import Command
from tstudio_gateway.domain.auth import Caller
from tstudio_gateway.domain.commands import CommandTable
from tstudio_gateway.domain.scopes import require_scopes
from tstudio_gateway.timeline_studio.args import Args
from tstudio_gateway.timeline_studio.tauri_events import TauriEvents


@dataclass
class TauriCall:
    """One invocation: who asked, with what, and the door to our services."""

    name: str
    args: Args
    caller: Caller
    rpc: Rpc
    events: TauriEvents

    async def call(self, qualified: str, request: Message, timeout: float | None = None) -> Any:
        return await self.rpc.unary(qualified, request, self.caller, timeout)

    def stream(self, qualified: str, request: Message, timeout: float | None = None) -> AsyncIterator[Any]:
        return self.rpc.stream(qualified, request, self.caller, timeout)

    async def emit(self, event: str, payload: Any) -> None:
        """An event to every connection of this caller listening to `event`, as Tauri's emit."""
        self.events.emit(self.caller.id, event, payload)


Handler = Callable[[TauriCall], Awaitable[Any]]


@dataclass(frozen=True)
class TauriCommand:
    name: str
    handler: Handler
    # The scopes the RPCs it calls need (a translated command needs what its RPCs need).
    scopes: tuple[str, ...]


class Rpc:
    """Calls an RPC of the contracts by its qualified command name (`compiler.get_render`)."""

    def __init__(
        self,
        table: CommandTable[Command],
        backends: Backends,
        unary_seconds: float,
        stream_seconds: float,
        security_service_token: str = "",
    ) -> None:
        self.table = table
        self.backends = backends
        self.unary_seconds = unary_seconds
        self.stream_seconds = stream_seconds
        # Who the gateway is to the security service (its readers list decides who may read values).
        self.security_service_token = security_service_token

    def _metadata(self, command: Command, caller: Caller) -> tuple[tuple[str, str], ...]:
        if command.service == "security" and self.security_service_token:
            return (("x-tstudio-caller", caller.id), ("x-tstudio-service-token", self.security_service_token))
        return (("x-tstudio-caller", caller.id),)

    async def unary(self, qualified: str, request: Message, caller: Caller, timeout: float | None) -> Any:
        command = self.table.resolve(qualified)
        return await self.backends.unary(
            command, request, timeout=timeout or self.unary_seconds, metadata=self._metadata(command, caller)
        )

    async def stream(
        self, qualified: str, request: Message, caller: Caller, timeout: float | None
    ) -> AsyncIterator[Any]:
        command = self.table.resolve(qualified)
        responses = self.backends.stream(
            command, request, timeout=timeout or self.stream_seconds, metadata=self._metadata(command, caller)
        )
        try:
            async for response in responses:
                yield response
        finally:
            await responses.aclose()


class TauriCommands:
    """Every translated command by the frontend's name."""

    def __init__(self, commands: Iterable[TauriCommand], rpc: Rpc | None, events: TauriEvents) -> None:
        self.by_name: dict[str, TauriCommand] = {}
        for command in commands:
            if command.name in self.by_name:
                raise ValueError(f"duplicate Timeline Studio command {command.name}")
            self.by_name[command.name] = command
        self.rpc = rpc
        self.events = events

    def get(self, name: str) -> TauriCommand | None:
        return self.by_name.get(name)

    def names(self) -> list[str]:
        return sorted(self.by_name)

    async def invoke(self, command: TauriCommand, raw_args: Any, caller: Caller) -> Any:
        require_scopes(caller.scopes, command.scopes, command.name)
        args = Args(command.name, raw_args)
        assert self.rpc is not None, "translated commands need the services"
        return await command.handler(TauriCall(command.name, args, caller, self.rpc, self.events))
