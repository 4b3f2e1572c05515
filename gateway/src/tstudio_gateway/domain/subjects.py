"""Which event subjects a client may subscribe to."""

from __future__ import annotations

import re

from svckit.errors import FieldViolation, InvalidArgument

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
# Our subjects are five short tokens; ids are uuids.
MAX_SUBJECT_CHARS = 256


def check_subject_pattern(pattern: str, field: str = "subject") -> str:
    """A NATS subject pattern below `tstudio.` (`tstudio.compiler.render.<job>.*`, `tstudio.>`);
    anything else (other applications' subjects, `>` alone, malformed tokens) is refused."""
    tokens = pattern.split(".") if pattern else []
    problem = ""
    if len(pattern) > MAX_SUBJECT_CHARS:
        # NATS refuses long subjects (its protocol lines are bounded); say so before trying.
        problem = f"at most {MAX_SUBJECT_CHARS} characters"
        pattern = pattern[:40] + "..."
    elif len(tokens) < 2 or tokens[0] != "tstudio":
        problem = "must start with 'tstudio.' and name at least one more token"
    else:
        for index, token in enumerate(tokens[1:], start=1):
            if token == ">" and index == len(tokens) - 1:
                continue
            if token == "*" or _TOKEN.match(token):
                continue
            problem = f"token {index} ({token!r}) is not a plain token, '*' or a final '>'"
            break
    if problem:
        raise InvalidArgument(
            f"invalid subject pattern {pattern!r}",
            reason="INVALID_SUBJECT",
            field_violations=[FieldViolation(field, problem)],
        )
    return pattern
