"""Invoke a command by name with JSON arguments: resolve, parse, call, answer JSON.

Both the HTTP and the WebSocket handlers go through here, so both speak the same commands with the
same errors and deadlines.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument

from tstudio_gateway.adapters.backends import Backends
from tstudio_gateway.adapters.contracts import Command
from tstudio_gateway.adapters.json_codec import parse_request, to_json
from tstudio_gateway.domain.auth import Caller
from tstudio_gateway.domain.commands import CommandTable
from tstudio_gateway.domain.scopes import SERVICES, require_scopes
from tstudio_gateway.timeline_studio.registry import TauriCommand, TauriCommands
from tstudio_gateway.timeline_studio.tauri_events import TauriEvents


@dataclass(frozen=True)
class Deadlines:
    unary_seconds: float
    stream_seconds: float
    max_seconds: float

    def for_call(self, command: Command, requested: float | None) -> float:
        """The client's deadline capped by the maximum, or the default for the kind of call."""
        if requested is None:
            return self.stream_seconds if command.server_streaming else self.unary_seconds
        if requested <= 0:
            raise InvalidArgument(
                "the timeout must be positive",
                field_violations=[FieldViolation("timeout_seconds", "must be > 0")],
            )
        return min(requested, self.max_seconds)


class Invoker:
    def __init__(
        self,
        table: CommandTable[Command],
        backends: Backends,
        deadlines: Deadlines,
        timeline_studio: TauriCommands | None = None,
    ) -> None:
        self.table = table
        self.backends = backends
        self.deadlines = deadlines
        # The frontend's own commands (timeline_studio/), answered before the contracts' names.
        self.timeline_studio = timeline_studio

    def tauri_events(self) -> TauriEvents:
        """Where translated commands emit the frontend's events (one hub per gateway)."""
        if self.timeline_studio is None:
            self.timeline_studio = TauriCommands([], None, TauriEvents())
        return self.timeline_studio.events

    def translated(self, name: str) -> TauriCommand | None:
        """The Timeline Studio command `name`, when the translation layer has one."""
        return None if self.timeline_studio is None else self.timeline_studio.get(name)

    async def invoke_translated(self, command: TauriCommand, args: Any, caller: Caller) -> Any:
        """Run a translated command; its answer is the frontend's JSON value (any JSON type)."""
        assert self.timeline_studio is not None
        return await self.timeline_studio.invoke(command, args, caller)

    def resolve(self, name: str, caller: Caller) -> Command:
        """The command `name` stands for, if the caller's token has the scope it needs
        (else `MissingScope`, PERMISSION_DENIED)."""
        command = self.table.resolve(name)
        require_scopes(caller.scopes, (command.scope,), command.qualified)
        return command

    async def invoke(
        self, command: Command, args: Any, *, timeout: float | None = None, caller: Caller | None = None
    ) -> dict[str, Any]:
        """Call a unary command; a streaming one answers its last message."""
        if command.server_streaming:
            last: dict[str, Any] = {}
            async for message in self.stream(command, args, timeout=timeout, caller=caller):
                last = message
            return last
        request = parse_request(args, command.request_type)
        if command.service == "gateway":
            return await self._local(command)
        deadline = self.deadlines.for_call(command, timeout)
        response = await self.backends.unary(command, request, timeout=deadline, metadata=_metadata(caller))
        return to_json(response)

    async def stream(
        self, command: Command, args: Any, *, timeout: float | None = None, caller: Caller | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Each response of a command as JSON; a unary command yields its one response."""
        if not command.server_streaming:
            yield await self.invoke(command, args, timeout=timeout, caller=caller)
            return
        request = parse_request(args, command.request_type)
        deadline = self.deadlines.for_call(command, timeout)
        responses = self.backends.stream(command, request, timeout=deadline, metadata=_metadata(caller))
        try:
            async for response in responses:
                yield to_json(response)
        finally:
            await responses.aclose()

    async def _local(self, command: Command) -> dict[str, Any]:
        if command.name == "check_services_health":
            return {"services": await self.services_health()}
        raise InvalidArgument(f"unknown gateway command {command.qualified}")  # pragma: no cover

    async def services_health(self) -> dict[str, str]:
        statuses = await asyncio.gather(*(self.backends.health(name) for name in SERVICES))
        return dict(zip(SERVICES, statuses, strict=True))


def _metadata(caller: Caller | None) -> tuple[tuple[str, str], ...]:
    # Services log who asked, by the token's non-reversible id.
    return (("x-tstudio-caller", caller.id),) if caller else ()
