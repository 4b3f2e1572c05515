"""JSON read into a protobuf message, forgiving where a person would be: one mechanism for every
place that reads JSON (the gateway's requests, project files of the CLI and the compiler).

- Enum values in their short form: `"kind": "VIDEO"` for `TRACK_KIND_VIDEO` (any case); the full
  name and the number still work.
- Unknown field names and enum values are refused with their field path and a did-you-mean, every
  violation once, all of them in one `InvalidArgument`.
Field names may be the proto names or the lowerCamel JSON names, as proto3 JSON allows.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from svckit.did_you_mean import suggestion
from svckit.errors import FieldViolation, InvalidArgument

M = TypeVar("M", bound=Message)

# Well-known types keep their own JSON forms (Struct, Value, Timestamp, ...): left alone.
_OPAQUE_PREFIX = "google.protobuf."


def parse_dict(data: Any, message: M, max_depth: int = 100) -> M:
    """Fill `message` from decoded JSON with short enum names accepted; unknown fields and values
    raise `InvalidArgument` with paths (`tracks[0].kind`). json_format's own errors (a number where
    a string goes, nesting deeper than `max_depth`, ...) are raised as `json_format.ParseError`."""
    violations: list[FieldViolation] = []
    descriptor: Descriptor = message.DESCRIPTOR  # type: ignore[assignment]
    normalized = _message(data, descriptor, "", violations)
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        where = f"{first.field}: " if first.field else ""
        raise InvalidArgument(
            f"invalid JSON: {where}{first.description}{more}",
            reason="INVALID_JSON_FIELD",
            field_violations=violations,
        )
    json_format.ParseDict(normalized, message, max_recursion_depth=max_depth)
    return message


def parse_json(text: str, message: M) -> M:
    """`parse_dict` over a JSON document; malformed JSON is an `InvalidArgument` with its line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(
            f"not valid JSON: {exc}",
            reason="INVALID_JSON",
            field_violations=[FieldViolation("", f"line {exc.lineno} column {exc.colno}: {exc.msg}")],
        ) from None
    return parse_dict(data, message)


def enum_short_names(enum: EnumDescriptor) -> dict[str, str]:
    """`{"VIDEO": "TRACK_KIND_VIDEO", ...}`: each value without the prefix all values share."""
    return dict(_short_names(enum))


@cache
def _short_names(enum: EnumDescriptor) -> tuple[tuple[str, str], ...]:
    names = [v.name for v in enum.values]
    prefix = _common_prefix(names)
    return tuple((name[len(prefix) :], name) for name in names if name[len(prefix) :])


def _common_prefix(names: list[str]) -> str:
    if len(names) < 2:
        return ""
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    prefix = first[:size]
    return prefix[: prefix.rfind("_") + 1]  # whole words only: TRACK_KIND_


@cache
def _fields(descriptor: Descriptor) -> dict[str, FieldDescriptor]:
    found: dict[str, FieldDescriptor] = {}
    for f in descriptor.fields:
        found[f.name] = f
        found[f.json_name] = f
    return found


def _message(data: Any, descriptor: Descriptor, path: str, violations: list[FieldViolation]) -> Any:
    if not isinstance(data, dict) or descriptor.full_name.startswith(_OPAQUE_PREFIX):
        return data  # json_format reports the wrong type itself
    fields = _fields(descriptor)
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = fields.get(key) if isinstance(key, str) else None
        here = f"{path}.{key}" if path else str(key)
        if field is None:
            if isinstance(key, str) and key.startswith("@"):
                out[key] = value  # Any's @type
                continue
            names = sorted({f.json_name for f in descriptor.fields})
            violations.append(
                FieldViolation(here, f"unknown field {str(key)!r}{suggestion(str(key), names)}")
            )
            continue
        out[key] = _field(value, field, here, violations)
    return out


def _field(value: Any, field: FieldDescriptor, path: str, violations: list[FieldViolation]) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        if not isinstance(value, dict):
            return value
        value_field = field.message_type.fields_by_name["value"]
        return {k: _single(v, value_field, f'{path}["{k}"]', violations) for k, v in value.items()}
    if field.is_repeated and isinstance(value, list):
        return [_single(item, field, f"{path}[{i}]", violations) for i, item in enumerate(value)]
    return _single(value, field, path, violations)


def _single(value: Any, field: FieldDescriptor, path: str, violations: list[FieldViolation]) -> Any:
    if field.message_type is not None:
        return _message(value, field.message_type, path, violations)
    if field.enum_type is not None and isinstance(value, str):
        return _enum(value, field.enum_type, path, violations)
    return value


def _enum(value: str, enum: EnumDescriptor, path: str, violations: list[FieldViolation]) -> str:
    if value in enum.values_by_name:
        return value
    short = _short_names(enum)
    for short_name, full in short:
        if value.upper() in (short_name, full):
            return full
    accepted = [s for s, full in short if not full.endswith("_UNSPECIFIED")]
    violations.append(
        FieldViolation(
            path,
            f"unknown value {value[:64]!r}; must be {', '.join(accepted)}{suggestion(value, accepted)}",
        )
    )
    return value
