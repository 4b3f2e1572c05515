"""Every floating-point number in every request is a real, bounded number.

One walker over any protobuf message reports each NaN, infinity or absurdly large double/float with
its field path (`tracks[0].clips[2].start`, `effects[0].params.radius`), so no service has to
remember the check per field. The error interceptor runs it on every request before the servicer;
services keep their own, tighter range rules (clip times within the longest timeline, and so on).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from svckit.errors import FieldViolation, InvalidArgument

# No contract number means anything beyond this (seconds, pixels, ratios, bytes as doubles); larger
# ones only overflow arithmetic downstream.
MAX_MAGNITUDE = 1e15
_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)
# Struct/Value/ListValue: JSON-like params; their paths read like the JSON (`params.radius`).
_STRUCT = "google.protobuf.Struct"
_VALUE = "google.protobuf.Value"
_LIST = "google.protobuf.ListValue"
# Deeply nested requests are refused by gRPC's own limits long before this.
_MAX_DEPTH = 64


def number_problem(value: float) -> str | None:
    """Why `value` is not acceptable in a contract, or None."""
    if math.isnan(value):
        return "must be a number, not NaN"
    if math.isinf(value):
        return "must be finite, not infinity"
    if abs(value) > MAX_MAGNITUDE:
        return f"must be within ±{MAX_MAGNITUDE:g}"
    return None


def bad_numbers(message: Message, documents: Collection[str] = ()) -> list[FieldViolation]:
    """A violation for every non-finite or out-of-magnitude number in `message`, by field path.
    Paths inside the top-level fields named in `documents` are relative to them (the compiler names
    a project's fields `tracks[0].clips[1].start`, not `project.tracks[0]...`)."""
    found: list[FieldViolation] = []
    _walk(message, "", found, 0, frozenset(documents))
    return found


def check_numbers(message: Any, documents: Collection[str] = ()) -> None:
    """Raise InvalidArgument naming every bad number; anything that is not a message passes."""
    if not isinstance(message, Message):
        return
    found = bad_numbers(message, documents)
    if found:
        first = f"{found[0].field}: {found[0].description}"
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InvalidArgument(
            f"invalid number: {first}{more}", reason="INVALID_NUMBER", field_violations=found
        )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _walk(
    message: Message,
    prefix: str,
    found: list[FieldViolation],
    depth: int,
    documents: frozenset[str] = frozenset(),
) -> None:
    if depth > _MAX_DEPTH:
        return
    name = message.DESCRIPTOR.full_name
    if name == _STRUCT:
        for key, value in message.fields.items():  # type: ignore[attr-defined]
            _walk(value, _join(prefix, key), found, depth + 1)
        return
    if name == _VALUE:
        kind = message.WhichOneof("kind")
        if kind == "number_value":
            _number(message.number_value, prefix, found)  # type: ignore[attr-defined]
        elif kind in ("struct_value", "list_value"):
            _walk(getattr(message, kind), prefix, found, depth + 1)
        return
    if name == _LIST:
        for index, value in enumerate(message.values):  # type: ignore[attr-defined]
            _walk(value, f"{prefix}[{index}]", found, depth + 1)
        return
    for field, value in message.ListFields():
        path = "" if depth == 0 and field.name in documents else _join(prefix, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                item_path = f"{path}[{key!r}]" if not isinstance(key, str) else _join(path, key)
                if value_field.type in _FLOATS:
                    _number(item, item_path, found)
                elif value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    _walk(item, item_path, found, depth + 1)
            continue
        items: list[tuple[str, Any]] = (
            [(f"{path}[{i}]", v) for i, v in enumerate(value)] if field.is_repeated else [(path, value)]
        )
        for item_path, item in items:
            if field.type in _FLOATS:
                _number(item, item_path, found)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                _walk(item, item_path, found, depth + 1)


def _number(value: float, path: str, found: list[FieldViolation]) -> None:
    problem = number_problem(value)
    if problem is not None:
        found.append(FieldViolation(path, problem))
