"""What a path given in a request may look like before it is resolved or opened.

A path no file can have (longer than the system allows, a name over 255 bytes, text the file
system cannot encode, `~someone` for a user who does not exist) is the caller's mistake:
INVALID_ARGUMENT on the request's field, not an OSError or RuntimeError escaping as INTERNAL.
"""

from __future__ import annotations

import os

from svckit.errors import FieldViolation, InvalidArgument

# Linux's PATH_MAX and NAME_MAX, in bytes of the file system encoding.
MAX_PATH_BYTES = 4095
MAX_NAME_BYTES = 255


def expanded_path_text(text: str, field: str = "path") -> str:
    """`text` with a leading `~` or `~user` expanded, checked against the limits above."""
    if not text or "\x00" in text:
        raise InvalidArgument(
            "a path is required" if not text else "path contains a NUL byte",
            field_violations=[FieldViolation(field, "must be a non-empty file path")],
        )
    expanded = text
    if text.startswith("~"):
        expanded = os.path.expanduser(text)
        if expanded.startswith("~"):
            user = text[1:].split(os.sep, 1)[0]
            raise InvalidArgument(
                f"no user {user!r} to expand {text.split(os.sep, 1)[0]!r} for",
                reason="UNKNOWN_USER",
                field_violations=[
                    FieldViolation(field, "~ names the service's home; ~user an existing user")
                ],
            )
    try:
        raw = os.fsencode(expanded)
    except UnicodeEncodeError:
        raise _invalid(field, "holds characters the file system cannot encode") from None
    if len(raw) > MAX_PATH_BYTES:
        raise _invalid(field, f"is too long ({len(raw)} bytes; at most {MAX_PATH_BYTES})")
    longest = max(len(name) for name in raw.split(b"/"))
    if longest > MAX_NAME_BYTES:
        raise _invalid(field, f"has a name too long ({longest} bytes; at most {MAX_NAME_BYTES})")
    return expanded


def _invalid(field: str, why: str) -> InvalidArgument:
    return InvalidArgument(
        f"the path {why}", reason="INVALID_PATH", field_violations=[FieldViolation(field, f"the path {why}")]
    )
