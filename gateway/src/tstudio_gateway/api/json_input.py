"""JSON in and out at the gateway's doors, bounded: whatever a client sends is either parsed
within fixed limits or refused as INVALID_ARGUMENT with a reason, never an exception that becomes
a 500 (issue 15 items 6 and 7).

Limits, all far beyond any real request:
- nesting: Python's parser stops near 1000 levels (JSON_TOO_DEEP here); the arguments of a command
  are bounded where they become a protobuf message (`json_codec.MAX_MESSAGE_DEPTH`);
- integers of at most 4300 digits (Python's own limit on converting them; JSON_NUMBER_TOO_LONG),
  and any number beyond its field's range is refused with that field's path by `json_codec`;
- only the numbers JSON defines: `NaN` and `Infinity`, which Python's parser accepts, are refused;
- UTF-8 only (RFC 8259), so bytes that are not are INVALID_JSON.
Output is UTF-8; a lone surrogate (a client may send `"\\ud800"`) is written as its JSON escape.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from svckit.errors import FieldViolation, InvalidArgument

# Built once: json.dumps with options makes a new encoder on every call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_encode_ascii = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def json_bytes(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON; text holding lone surrogates comes out as \\uXXXX escapes."""
    text = _encode(value)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _encode_ascii(value).encode()


def json_text(value: Any) -> str:
    """`value` as compact JSON text that is always encodable as UTF-8 (a WebSocket text frame)."""
    return json_bytes(value).decode()


def _parse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


# One decoder, built once: json.loads with any option builds a new one per call (3x slower).
_DECODER = json.JSONDecoder(parse_constant=_parse_constant)


def _too_deep(what: str) -> InvalidArgument:
    return InvalidArgument(
        f"{what} is nested too deeply",
        reason="JSON_TOO_DEEP",
        field_violations=[FieldViolation("", "arrays and objects nest too deeply")],
    )


def decode_json(raw: bytes | str, what: str = "the request body") -> Any:
    """Parse JSON from a client within the limits above; anything else is INVALID_ARGUMENT with
    a reason (INVALID_JSON, JSON_TOO_DEEP, JSON_NUMBER_TOO_LONG) and, for syntax, the position."""
    if not raw:
        return {}
    try:
        value = _DECODER.decode(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except json.JSONDecodeError as exc:
        raise InvalidArgument(
            f"{what} is not valid JSON",
            reason="INVALID_JSON",
            field_violations=[FieldViolation("", f"line {exc.lineno} column {exc.colno}: {exc.msg}")],
        ) from None
    except UnicodeDecodeError:
        raise InvalidArgument(f"{what} is not UTF-8", reason="INVALID_JSON") from None
    except RecursionError:
        raise _too_deep(what) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # over 4300 digits
            raise InvalidArgument(
                f"{what} holds an integer of more than 4300 digits",
                reason="JSON_NUMBER_TOO_LONG",
                field_violations=[FieldViolation("", "integers may have at most 4300 digits")],
            ) from None
        # NaN/Infinity (our _parse_constant)
        raise InvalidArgument(
            f"{what} is not valid JSON: {exc}",
            reason="INVALID_JSON",
            field_violations=[FieldViolation("", str(exc))],
        ) from None
    return value
