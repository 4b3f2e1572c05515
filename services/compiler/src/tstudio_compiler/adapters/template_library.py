"""Title templates as data: the built-in ones shipped in the package (tstudio_compiler/templates) and
any `*.json` in the user folder (COMPILER_TEMPLATES_DIR, default ~/.config/tstudio/templates).

A template file: {"id", "name", "description", "duration", "fields": [{"name", "default",
"description"}], "clips": [clips in the project JSON form, `start` relative to the template clip,
"{{field}}" wherever a field's value goes]}. Sizes are for a 1080-line frame and scale with the
project's height. A user template with a built-in's id replaces it; a broken file is logged and left
out (its error is in `problems`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
BUILTIN = Path(__file__).resolve().parent.parent / "templates"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TemplateField:
    name: str
    default: str = ""
    description: str = ""


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    description: str
    duration: float
    fields: tuple[TemplateField, ...]
    # Clip JSON (camelCase, as in project files).
    clips: tuple[dict[str, Any], ...]
    origin: str = "builtin"


class TemplateError(ValueError):
    pass


def parse_template(data: Any, origin: str) -> Template:
    if not isinstance(data, dict):
        raise TemplateError("a template is a JSON object")
    tid = data.get("id")
    if not isinstance(tid, str) or not _ID.match(tid):
        raise TemplateError("id must be lower-case letters, digits and dashes")
    clips = data.get("clips")
    if not isinstance(clips, list) or not clips or not all(isinstance(c, dict) for c in clips):
        raise TemplateError("clips must be a non-empty list of clips")
    fields = []
    for item in data.get("fields", []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise TemplateError("each field needs a name")
        fields.append(
            TemplateField(item["name"], str(item.get("default", "")), str(item.get("description", "")))
        )
    duration = data.get("duration", 0)
    if not isinstance(duration, int | float) or duration <= 0:
        raise TemplateError("duration must be a positive number of seconds")
    return Template(
        tid,
        str(data.get("name", tid)),
        str(data.get("description", "")),
        float(duration),
        tuple(fields),
        tuple(clips),
        origin,
    )


class TemplateLibrary:
    def __init__(self, user_folder: Path | None = None, builtin: Path = BUILTIN) -> None:
        self._user = user_folder.expanduser() if user_folder else None
        self._builtin = builtin
        self._lock = threading.Lock()
        self.problems: dict[str, str] = {}

    def all(self) -> dict[str, Template]:
        """Every template by id, read now (user files may change while the service runs)."""
        with self._lock:
            found: dict[str, Template] = {}
            problems: dict[str, str] = {}
            folders = [(self._builtin, "builtin")]
            if self._user is not None and self._user.is_dir():
                folders.append((self._user, ""))
            for folder, origin in folders:
                for path in sorted(folder.glob("*.json")):
                    try:
                        if path.stat().st_size > MAX_FILE_BYTES:
                            raise TemplateError("larger than 1 MiB")
                        data = json.loads(path.read_text(encoding="utf-8"))
                        template = parse_template(data, origin or str(path))
                    except (OSError, ValueError) as exc:
                        problems[str(path)] = str(exc)
                        log.warning("template %s left out: %s", path, exc)
                        continue
                    found[template.id] = template
            self.problems = problems
            return found

    def get(self, template_id: str) -> Template | None:
        return self.all().get(template_id)
