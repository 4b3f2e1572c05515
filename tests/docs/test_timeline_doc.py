"""docs/timeline.md cannot drift from the contract: every field of Project and of every message
inside it is described in its message's section, and every built-in effect and transition is listed.

When this fails after you added a field, add a row for it to the section named in the message (the
proto comment is printed to start from)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tstudio.compiler.v1 import project_pb2
from tstudio_compiler.domain.effects import builtin_effects
from tstudio_compiler.domain.transitions import builtin_transitions

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "timeline.md"
COMMENTS = ROOT / "protos" / "python" / "tstudio" / "proto_comments.json"


def _messages() -> list:  # type: ignore[type-arg]
    """Project and every message reachable from it, outside google.protobuf."""
    found, queue = [], [project_pb2.Project.DESCRIPTOR]
    while queue:
        message = queue.pop(0)
        if message in found or message.full_name.startswith("google.protobuf."):
            continue
        found.append(message)
        queue.extend(f.message_type for f in message.fields if f.message_type is not None)
    return found


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (\w+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_project_field_is_described_in_its_section() -> None:
    sections = _sections(DOC.read_text())
    comments = json.loads(COMMENTS.read_text())
    missing = []
    for message in _messages():
        body = sections.get(message.name)
        if body is None:
            missing.append(f"section '## {message.name}' ({comments.get(message.full_name, '')})")
            continue
        for field in message.fields:
            if f"`{field.json_name}`" not in body:
                hint = comments.get(field.full_name, "no proto comment")
                missing.append(f"{message.name}.{field.json_name}: {hint}")
    assert not missing, "docs/timeline.md lacks:\n  " + "\n  ".join(missing)


def test_every_builtin_effect_and_transition_is_listed() -> None:
    text = DOC.read_text()
    names = [e.type for e in builtin_effects()]
    for transition in builtin_transitions():
        names += [transition.type, *transition.aliases]
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"docs/timeline.md does not list: {', '.join(missing)}"
