"""JSON in and out at the gateway's doors, bounded: whatever a client sends is either parsed
within fixed limits or refused as INVALID_ARGUMENT with a reason, never an exception that becomes
a 500 (issue 15 items 6 and 7).

Limits, all far beyond any real request:
- nesting depth `MAX_DEPTH` (a project with effect parameters is about 10 levels deep; the proto
  runtime refuses messages nested more than 100 deep, and Python's own parser stops near 1000);
- numbers of at most `MAX_NUMBER_CHARS` characters (an int64 has 19 digits; Python refuses to
  convert integers over 4300 digits, and converting long ones costs quadratic time);
- only the numbers JSON defines: `NaN` and `Infinity`, which Python's parser accepts, are refused.
Output is UTF-8; a lone surrogate (a client may send `"\\ud800"`) is written as its JSON escape.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from svckit.errors import FieldViolation, InvalidArgument

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 64

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


def _too_long(text: str) -> NoReturn:
    raise InvalidArgument(
        f"a number of {len(text)} characters; at most {MAX_NUMBER_CHARS}",
        reason="JSON_NUMBER_TOO_LONG",
        field_violations=[FieldViolation("", f"numbers may have at most {MAX_NUMBER_CHARS} characters")],
    )


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        _too_long(text)
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        _too_long(text)
    return float(text)


def _parse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _too_deep(what: str) -> InvalidArgument:
    return InvalidArgument(
        f"{what} is nested too deeply (at most {MAX_DEPTH} levels)",
        reason="JSON_TOO_DEEP",
        field_violations=[FieldViolation("", f"at most {MAX_DEPTH} levels of arrays and objects")],
    )


def check_depth(value: Any, what: str = "the request body") -> None:
    """Raise JSON_TOO_DEEP when arrays and objects in `value` nest deeper than `MAX_DEPTH`."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > MAX_DEPTH:
            raise _too_deep(what)
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))


def decode_json(raw: bytes | str, what: str = "the request body") -> Any:
    """Parse JSON from a client within the limits above; anything else is INVALID_ARGUMENT with
    a reason (INVALID_JSON, JSON_TOO_DEEP, JSON_NUMBER_TOO_LONG) and, for syntax, the position."""
    if not raw:
        return {}
    try:
        value = json.loads(
            raw, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
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
    except ValueError as exc:  # NaN/Infinity (our _parse_constant)
        raise InvalidArgument(
            f"{what} is not valid JSON: {exc}",
            reason="INVALID_JSON",
            field_violations=[FieldViolation("", str(exc))],
        ) from None
    if isinstance(value, (dict, list)):
        check_depth(value, what)
    return value
