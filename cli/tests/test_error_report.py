"""The CLI says each violation once (the message repeats the first one, so it is not printed too)."""

from __future__ import annotations

import io

from svckit.errors import FieldViolation, InvalidArgument
from tstudio_cli.commands.render import report_invalid


def test_each_violation_is_printed_once() -> None:
    violations = [
        FieldViolation("tracks[0].kind", "unknown value"),
        FieldViolation("outptu", "unknown field"),
    ]
    err = io.StringIO()
    report_invalid(
        "tstudio render: p.json",
        InvalidArgument("invalid: tracks[0].kind: unknown value", field_violations=violations),
        err,
    )
    text = err.getvalue()
    assert text.count("unknown value") == 1 and text.count("unknown field") == 1
    assert "2 problems" in text


def test_a_single_violation_is_one_line() -> None:
    err = io.StringIO()
    one = InvalidArgument(
        "invalid: start: must be >= 0", field_violations=[FieldViolation("start", "must be >= 0")]
    )
    report_invalid("tstudio render: p.json", one, err)
    assert err.getvalue() == "tstudio render: p.json: INVALID_ARGUMENT: start: must be >= 0\n"
