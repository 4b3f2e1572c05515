"""Proto3 JSON <-> messages, with parse errors turned into field violations.

Field names are the proto names on output (`duration_seconds`, as in the contracts); on input both
the proto names and the lowerCamel JSON names are accepted, as proto3 JSON allows.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message
from svckit.errors import FieldViolation, InvalidArgument
from svckit.json_input import parse_dict

from tstudio_gateway.adapters.proto_json import message_to_dict

M = TypeVar("M", bound=Message)

# Message nesting allowed while parsing a request (json_format counts a Struct and its Value per
# JSON level: effect parameters nested 20 deep are about 45). The services refuse binary messages
# nested past 100 levels, where a JSON level in a Struct costs three (Struct, map entry, Value):
# parameters 36 deep reached the compiler undecodable (a 500). At 64, everything accepted decodes.
MAX_MESSAGE_DEPTH = 64

# json_format reports the failing field as "... at RenderRequest.project.tracks[0].clips[0].speed".
_AT_PATH = re.compile(r" at ([A-Za-z_][\w]*(?:\.[\w]+|\[\d+\]|\[\"?[^\]]*\"?\])*)\.?")
_NO_FIELD = re.compile(r'has no field named "([^"]+)" at "([^"]+)"')
_FAILED_FIELD = re.compile(r"Failed to parse (\w+) field")
_FAILED_PREFIX = re.compile(r"Failed to parse \w+ field: ")


def parse_request(args: Any, message_type: type[M]) -> M:
    """Build a request from decoded JSON; a wrong shape or type raises `InvalidArgument` naming
    the field path (`project.tracks[0].clips[0].speed`)."""
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise InvalidArgument(
            "the arguments must be a JSON object",
            reason="INVALID_JSON",
            field_violations=[FieldViolation("", f"expected an object, got {_json_type(args)}")],
        )
    message = message_type()
    try:
        # Short enum names ("VIDEO"), unknown fields with a did-you-mean: svckit.json_input.
        parse_dict(args, message, max_depth=MAX_MESSAGE_DEPTH)
    except json_format.ParseError as exc:
        raise InvalidArgument(
            f"invalid arguments: {_describe(str(exc))}",
            reason="INVALID_ARGUMENTS",
            field_violations=[FieldViolation(field_path(str(exc), message_type), _describe(str(exc)))],
        ) from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # json_format lets a few shape errors through as plain Python errors ('int' is not iterable;
        # OverflowError for an integer too large for a double).
        raise InvalidArgument(
            "invalid arguments: a field has the wrong JSON type",
            reason="INVALID_ARGUMENTS",
            field_violations=[FieldViolation(_failed_fields(str(exc)), "wrong JSON type")],
        ) from None
    return message


def field_path(error: str, message_type: type[Message]) -> str:
    """The dotted path of the failing field within the request, "" when it cannot be told."""
    missing = _NO_FIELD.search(error)
    if missing:
        prefix = _strip_root(missing.group(2), message_type)
        return f"{prefix}.{missing.group(1)}" if prefix else missing.group(1)
    at = _AT_PATH.search(error)
    if at:
        return _strip_root(at.group(1).rstrip("."), message_type)
    return _failed_fields(error)


def _strip_root(path: str, message_type: type[Message]) -> str:
    root = message_type.DESCRIPTOR.name
    if path == root:
        return ""
    return path.removeprefix(root + ".")


def _failed_fields(error: str) -> str:
    return ".".join(_FAILED_FIELD.findall(error))


def _describe(error: str) -> str:
    """The innermost reason of a nested json_format message, without the path chatter."""
    missing = _NO_FIELD.search(error)
    if missing:
        return f"unknown field {missing.group(1)!r}"
    reason = _FAILED_PREFIX.sub("", error)
    reason = _AT_PATH.sub("", reason).strip()
    return reason.split("\n", 1)[0].rstrip(".") or "invalid value"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "null" if value is None else type(value).__name__


def to_json(message: Message) -> dict[str, Any]:
    """A response as canonical proto3 JSON: fields at their default value (0, "", false, empty)
    are left out. Printing them too cost ~3.5x the conversion time (180 µs on a probe result),
    a good part of the gateway's whole latency budget. Written by `proto_json`, json_format's
    output in about half its time."""
    result: dict[str, Any] = message_to_dict(message)
    return result
