"""The command table: how a name a client sends becomes one command.

A command is found by its qualified name (`compiler.render`), by its bare snake_case name when only
one service has it (`render`), or by a Timeline Studio alias (`compile_video`). Pure Python: the
commands themselves are built from the proto descriptors elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, Protocol, TypeVar

from svckit.errors import NotFound, Unimplemented

from tstudio_gateway.domain.naming import near_names

# The longest name in the contracts is under 60 characters; a longer one cannot be a typo of one.
MAX_NAME_CHARS = 128


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def qualified(self) -> str: ...


C = TypeVar("C", bound=Named)


class UnknownCommand(NotFound):
    """No command has this name; `near` holds the names that look like it."""

    default_reason = "UNKNOWN_COMMAND"

    def __init__(self, name: str, near: list[str], message: str | None = None) -> None:
        super().__init__(
            message or f"unknown command {name!r}", metadata={"command": name, "near_names": ",".join(near)}
        )
        self.near = near


class CommandNotAvailable(Unimplemented):
    """The command is known (a Timeline Studio name) but its service does not offer it yet."""

    default_reason = "COMMAND_NOT_AVAILABLE"


class CommandTable(Generic[C]):
    def __init__(self, commands: Iterable[C], aliases: Mapping[str, str]) -> None:
        self._by_qualified: dict[str, C] = {}
        by_bare: dict[str, list[C]] = {}
        for command in commands:
            if command.qualified in self._by_qualified:
                raise ValueError(f"duplicate command {command.qualified}")
            self._by_qualified[command.qualified] = command
            by_bare.setdefault(command.name, []).append(command)
        # A bare name shared by several services (get_diagnostics) only works qualified.
        self._by_bare = {name: found[0] for name, found in by_bare.items() if len(found) == 1}
        self._ambiguous = {
            name: sorted(c.qualified for c in found) for name, found in by_bare.items() if len(found) > 1
        }
        self.aliases = dict(aliases)

    @property
    def commands(self) -> list[C]:
        return sorted(self._by_qualified.values(), key=lambda c: c.qualified)

    def names(self) -> list[str]:
        """Every name a client may send."""
        return sorted({*self._by_qualified, *self._by_bare, *self.aliases})

    def resolve(self, name: str) -> C:
        found = self._by_qualified.get(name) or self._by_bare.get(name)
        if found is not None:
            return found
        target = self.aliases.get(name)
        if target is not None:
            command = self._by_qualified.get(target)
            if command is None:
                service = target.split(".", 1)[0]
                raise CommandNotAvailable(
                    f"{name!r} is not available yet: the {service} service does not offer {target}",
                    metadata={"command": name, "target": target},
                )
            return command
        if name in self._ambiguous:
            options = self._ambiguous[name]
            raise UnknownCommand(
                name, options, f"{name!r} is offered by several services; use one of: {', '.join(options)}"
            )
        if len(name) > MAX_NAME_CHARS:
            # Refused before any matching: near-name matching costs time in the name's length.
            shown = name[:40] + "..."
            raise UnknownCommand(
                shown, [], f"unknown command {shown!r}: the name is too long ({len(name)} characters)"
            )
        raise UnknownCommand(name, near_names(name, self.names()))

    def alias_target(self, alias: str) -> C | None:
        target = self.aliases.get(alias)
        return None if target is None else self._by_qualified.get(target)
