"""Reading the frontend's arguments with errors that name the field (`request.start_time`).

Tauri deserialises each command parameter by name and ignores the rest, so unknown keys are
ignored here too; a missing or mistyped one is INVALID_ARGUMENT with a message a person can act on
(the frontend shows the rejected promise's message string).
"""

from __future__ import annotations

import math
from typing import Any

from svckit.errors import FieldViolation, InvalidArgument

_MISSING = object()


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class Args:
    """One command's argument object, or a nested object inside it (`prefix` names it)."""

    def __init__(self, command: str, raw: Any, prefix: str = "") -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            where = prefix.rstrip(".") or "the arguments"
            raise self._error(command, where, f"must be an object, got {json_type(raw)}")
        self.command = command
        self.raw: dict[str, Any] = raw
        self.prefix = prefix

    @staticmethod
    def _error(command: str, field: str, problem: str) -> InvalidArgument:
        return InvalidArgument(
            f"{command}: {field} {problem}",
            reason="INVALID_ARGUMENT",
            field_violations=[FieldViolation(field, problem)],
        )

    def error(self, key: str, problem: str) -> InvalidArgument:
        return self._error(self.command, self.prefix + key, problem)

    def _get(self, key: str, required: bool, expected: str) -> Any:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise self.error(key, f"is required ({expected})")
            return _MISSING
        return value

    def string(self, key: str, *, required: bool = True, default: str = "", non_empty: bool = True) -> str:
        value = self._get(key, required, "a string")
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {json_type(value)}")
        if non_empty and not value.strip():
            raise self.error(key, "must not be empty")
        return value

    def number(
        self,
        key: str,
        *,
        required: bool = True,
        default: float = 0.0,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        value = self._get(key, required, "a number")
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(key, f"must be a number, got {json_type(value)}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be >= {minimum:g}, got {value:g}")
        if maximum is not None and value > maximum:
            raise self.error(key, f"must be <= {maximum:g}, got {value:g}")
        return float(value)

    def integer(
        self,
        key: str,
        *,
        required: bool = True,
        default: int = 0,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        value = self.number(key, required=required, default=default, minimum=minimum, maximum=maximum)
        if value != int(value):
            raise self.error(key, f"must be a whole number, got {value:g}")
        return int(value)

    def boolean(self, key: str, *, required: bool = True, default: bool = False) -> bool:
        value = self._get(key, required, "true or false")
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {json_type(value)}")
        return value

    def obj(self, key: str, *, required: bool = True) -> dict[str, Any]:
        value = self._get(key, required, "an object")
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            raise self.error(key, f"must be an object, got {json_type(value)}")
        return value

    def nested(self, key: str, *, required: bool = True) -> Args:
        return Args(self.command, self.obj(key, required=required), f"{self.prefix}{key}.")

    def strings(self, key: str, *, required: bool = True, non_empty: bool = True) -> list[str]:
        value = self._get(key, required, "an array of strings")
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"must be an array of strings, got {json_type(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or (non_empty and not item.strip()):
                raise self._error(
                    self.command,
                    f"{self.prefix}{key}[{index}]",
                    f"must be a non-empty string, got {json_type(item)}",
                )
        if non_empty and not value:
            raise self.error(key, "must not be empty")
        return list(value)

    def byte_array(self, key: str, *, required: bool = True) -> bytes:
        """The frontend sends bytes as `number[]` (each 0..255)."""
        value = self._get(key, required, "an array of bytes (numbers 0..255)")
        if value is _MISSING:
            return b""
        if not isinstance(value, list):
            raise self.error(key, f"must be an array of bytes, got {json_type(value)}")
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 255:
                raise self._error(
                    self.command, f"{self.prefix}{key}[{index}]", "must be a whole number 0..255"
                )
        return bytes(value)
