"""JSON Schema (2020-12 dialect, as OpenAPI 3.1 uses) of proto3 JSON, from message descriptors.

Each message type becomes one entry under `$defs`, referenced by `$ref`, so recursive and shared
messages are written once. Names are the proto field names, as the gateway writes them.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from svckit.json_input import enum_short_names

from tstudio_gateway.adapters.proto_comments import comment

# Descriptors are typed loosely: the upb and pure-Python classes differ in their stubs.
Descriptor = Any

_INT32 = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32}
_UINT32 = {FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32}
# proto3 JSON writes 64-bit integers as strings and reads either form.
_INT64 = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
}
_FLOAT = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}},
    "google.protobuf.DoubleValue": {"type": ["number", "null"]},
    "google.protobuf.FloatValue": {"type": ["number", "null"]},
    "google.protobuf.Int64Value": {"type": ["string", "integer", "null"]},
    "google.protobuf.UInt64Value": {"type": ["string", "integer", "null"]},
    "google.protobuf.Int32Value": {"type": ["integer", "null"]},
    "google.protobuf.UInt32Value": {"type": ["integer", "null"]},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BytesValue": {"type": ["string", "null"], "contentEncoding": "base64"},
}


class SchemaBuilder:
    """Collects `$defs` for every message reached; `ref(descriptor)` gives a reference to one.

    `ref_prefix` is where the definitions will live: `#/$defs/` for a standalone schema,
    `#/components/schemas/` inside an OpenAPI document.
    """

    def __init__(self, ref_prefix: str = "#/$defs/") -> None:
        self.ref_prefix = ref_prefix
        self.defs: dict[str, dict[str, Any]] = {}

    def ref(self, message: Descriptor) -> dict[str, Any]:
        if message.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[message.full_name])
        if message.full_name not in self.defs:
            self.defs[message.full_name] = {}  # placeholder first: messages may refer to themselves
            self.defs[message.full_name] = self._message(message)
        return {"$ref": self.ref_prefix + message.full_name}

    def _message(self, message: Descriptor) -> dict[str, Any]:
        properties = {field.name: _described(self._field(field), field.full_name) for field in message.fields}
        schema: dict[str, Any] = {
            "type": "object",
            "title": message.name,
            "properties": properties,
            # Unknown fields are rejected by the parser, so say so.
            "additionalProperties": False,
        }
        # The contract's comments (proto_comments.json), then the one-of rule.
        notes = [comment(message.full_name)] if comment(message.full_name) else []
        oneofs = [o for o in message.oneofs if not _synthetic(o)]
        notes += [f"at most one of {', '.join(f.name for f in o.fields)}" for o in oneofs]
        if notes:
            schema["description"] = "; ".join(notes)
        return schema

    def _field(self, field: Any) -> dict[str, Any]:
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value_field)}
        if _is_repeated(field):
            return {"type": "array", "items": self._single(field)}
        return self._single(field)

    def _single(self, field: Any) -> dict[str, Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE or kind == FieldDescriptor.TYPE_GROUP:
            return self.ref(field.message_type)
        if kind == FieldDescriptor.TYPE_ENUM:
            # The full names, then the short forms the parser accepts too ("VIDEO").
            names = [v.name for v in field.enum_type.values]
            names += [short for short in enum_short_names(field.enum_type) if short not in names]
            return {"oneOf": [{"type": "string", "enum": names}, {"type": "integer"}]}
        if kind in _INT32:
            return {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
        if kind in _UINT32:
            return {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
        if kind in _INT64:
            return {"type": ["string", "integer"], "pattern": r"^-?\d+$"}
        if kind in _FLOAT:
            return {
                "oneOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}]
            }
        if kind == FieldDescriptor.TYPE_BOOL:
            return {"type": "boolean"}
        if kind == FieldDescriptor.TYPE_BYTES:
            return {"type": "string", "contentEncoding": "base64"}
        return {"type": "string"}


def _described(schema: dict[str, Any], full_name: str) -> dict[str, Any]:
    # JSON Schema 2020-12 allows a description beside $ref too.
    text = comment(full_name)
    return {**schema, "description": text} if text else schema


def _is_repeated(field: Any) -> bool:
    return bool(field.is_repeated)


def _is_map(field: Any) -> bool:
    return (
        _is_repeated(field)
        and field.type == FieldDescriptor.TYPE_MESSAGE
        and field.message_type.GetOptions().map_entry
    )


def _synthetic(oneof: Any) -> bool:
    # proto3 `optional` fields live in a synthetic one-of of their own.
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def standalone_schema(message: Descriptor) -> dict[str, Any]:
    """A self-contained JSON Schema for one message type."""
    builder = SchemaBuilder()
    root = builder.ref(message)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": builder.defs}
