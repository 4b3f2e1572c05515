"""The contracts' comments (written by `make protos` into tstudio/proto_comments.json), for the
descriptions of the JSON Schema and the OpenAPI document."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def _all() -> dict[str, str]:
    try:
        text = (resources.files("tstudio") / "proto_comments.json").read_text()
    except (FileNotFoundError, OSError):
        return {}
    loaded: dict[str, str] = json.loads(text)
    return loaded


def comment(full_name: str) -> str:
    """The comment above a message, field, enum or value (`tstudio.compiler.v1.Clip.speed`), or ""."""
    return _all().get(full_name, "")
