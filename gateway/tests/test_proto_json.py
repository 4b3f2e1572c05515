"""The fast proto3 JSON writer gives exactly json_format's output, for every message in the contracts."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import any_pb2, json_format, message_factory, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2
from tstudio_gateway.adapters.contracts import service_descriptors, stub_modules
from tstudio_gateway.adapters.proto_json import message_to_dict

MAX_DEPTH = 6


def reference(message: Message) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def every_contract_message() -> list[type[Message]]:
    """Each message type the gateway writes: the responses of every RPC and the event envelope."""
    types: dict[str, type[Message]] = {}
    for service in service_descriptors(stub_modules()):
        for method in service.methods:
            for descriptor in (method.input_type, method.output_type):
                types[descriptor.full_name] = message_factory.GetMessageClass(descriptor)
    types["tstudio.events.v1.Event"] = events_pb2.Event
    return [types[name] for name in sorted(types)]


def sample(field: Any, index: int) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_ENUM:
        values = field.enum_type.values
        return values[min(len(values) - 1, 1 + index)].number
    if kind == FieldDescriptor.TYPE_STRING:
        return f"s{index}-é✓"
    if kind == FieldDescriptor.TYPE_BYTES:
        return bytes([0, 255, index])
    if kind == FieldDescriptor.TYPE_BOOL:
        return True
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        # 0.1 is not a float32: json_format rounds it to its shortest form.
        return (0.1, -2.5e-8, 1e300 if kind == FieldDescriptor.TYPE_DOUBLE else 3.4e38)[index % 3]
    if field.cpp_type in (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64):
        return 2**40 + index
    if field.cpp_type == FieldDescriptor.CPPTYPE_INT32:
        return -7 - index
    return 7 + index


def fill(message: Message, depth: int = 0) -> Message:
    """Set every field (two elements for repeated ones and maps), nested messages to MAX_DEPTH."""
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        message.FromSeconds(1_700_000_000)  # type: ignore[attr-defined]
        return message
    if name == "google.protobuf.Struct":
        message.update({"a": 1.5, "b": [True, None, "x"], "c": {"d": "e"}})  # type: ignore[attr-defined]
        return message
    if name == "google.protobuf.Value":
        message.string_value = "v"  # type: ignore[attr-defined]
        return message
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            for index in range(2):
                key = sample(key_field, index)
                if value_field.message_type is not None:
                    if depth < MAX_DEPTH:
                        fill(value[key], depth + 1)
                else:
                    value[key] = sample(value_field, index)
        elif field.message_type is not None:
            if depth >= MAX_DEPTH:
                continue
            if field.is_repeated:
                for _ in range(2):
                    fill(value.add(), depth + 1)
            else:
                fill(value, depth + 1)
                value.SetInParent()
        elif field.is_repeated:
            value.extend(sample(field, index) for index in range(2))
        else:
            setattr(message, field.name, sample(field, 0))
    return message


@pytest.mark.parametrize("message_type", every_contract_message(), ids=lambda t: t.DESCRIPTOR.full_name)
def test_every_contract_message_is_written_as_json_format_writes_it(message_type: type[Message]) -> None:
    empty = message_type()
    assert message_to_dict(empty) == reference(empty)
    full = fill(message_type())
    assert message_to_dict(full) == reference(full)


def test_special_floats_unknown_enum_numbers_and_well_known_types() -> None:
    stream = media_pb2.StreamInfo(fps=math.inf, avg_fps=-math.inf, duration_seconds=math.nan)
    # An open enum keeps a number it does not name; json_format writes the number.
    stream.type = 99  # type: ignore[assignment]
    assert message_to_dict(stream) == reference(stream)
    peaks = media_pb2.ChannelPeaks(min=[math.nan, -math.inf, 0.1], max=[math.inf, 1.0, -0.0])
    assert message_to_dict(peaks) == reference(peaks)
    event = events_pb2.Event(id="e1", time=timestamp_pb2.Timestamp(seconds=5, nanos=1000))
    assert message_to_dict(event) == reference(event)
    packed = any_pb2.Any()
    packed.Pack(struct_pb2.Struct(fields={"k": struct_pb2.Value(number_value=1)}))
    assert message_to_dict(packed) == reference(packed)
