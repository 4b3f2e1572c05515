"""Merge fields and title templates, applied to the Project message before it is converted.

1. `merge`: "{{find}}" becomes "replace" in every string of the project (Shotstack's rule). With any
   merge field given, a "{{NAME}}" left over is an error at the string's field path.
2. A clip with `source.template` becomes the template's clips: the first takes the template clip's
   place (so the indexes of the clips after it stay as the user wrote them), the others go at the
   end of the same track; ids are "<clip id>.<template clip id>". Times follow the clip's start and
   duration; sizes scale with the project's height (templates are drawn for 1080 lines).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from google.protobuf import json_format
from svckit.errors import FieldViolation, InvalidArgument
from tstudio.compiler.v1 import project_pb2

from tstudio_compiler.adapters.template_library import Template, TemplateLibrary

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")
# Text sizes in pixels, scaled from 1080 lines to the project's height.
_SIZES = (
    "fontSize",
    "font_size",
    "padding",
    "cornerRadius",
    "corner_radius",
    "strokeWidth",
    "stroke_width",
    "shadowX",
    "shadow_x",
    "shadowY",
    "shadow_y",
    "shadowBlur",
    "shadow_blur",
    "letterSpacing",
    "letter_spacing",
    "maxWidth",
    "max_width",
)


def expand(p: project_pb2.Project, templates: TemplateLibrary | None) -> project_pb2.Project:
    """`p` with its merge fields applied and its template clips expanded (unchanged when it has none)."""
    has_templates = any(c.source.HasField("template") for t in p.tracks for c in t.clips)
    if not p.merge and not has_templates:
        return p
    data = json_format.MessageToDict(p, preserving_proto_field_name=True)
    violations: list[tuple[str, str]] = []
    merge = data.pop("merge", [])
    if merge:
        table = {}
        for index, item in enumerate(merge):
            find = item.get("find", "")
            if not find or not PLACEHOLDER.fullmatch("{{" + find + "}}"):
                violations.append((f"merge[{index}].find", "must be a name of letters, digits, _ . or -"))
            table[find] = item.get("replace", "")
        data = _substitute(data, table, "", violations, report=True)
    if has_templates:
        _expand_templates(data, templates, violations)
    if not violations:
        try:
            return json_format.ParseDict(data, project_pb2.Project())
        except json_format.ParseError as exc:
            violations.append(("tracks", f"a merge or template value does not fit its field: {exc}"))
    raise InvalidArgument(
        f"invalid project: {violations[0][0]}: {violations[0][1]}",
        reason="INVALID_PROJECT",
        field_violations=[FieldViolation(f, d) for f, d in violations],
    )


def _substitute(
    value: Any, table: dict[str, str], path: str, violations: list[tuple[str, str]], report: bool
) -> Any:
    if isinstance(value, str):

        def swap(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in table:
                return table[name]
            if report:
                violations.append((path, f"unknown merge field {{{{{name}}}}}"))
            return match.group(0)

        return PLACEHOLDER.sub(swap, value)
    if isinstance(value, list):
        return [_substitute(v, table, f"{path}[{i}]", violations, report) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: _substitute(v, table, f"{path}.{k}" if path else k, violations, report)
            for k, v in value.items()
        }
    return value


def _expand_templates(
    data: dict[str, Any], library: TemplateLibrary | None, violations: list[tuple[str, str]]
) -> None:
    height = float(data.get("settings", {}).get("height") or 1080)
    found = library.all() if library is not None else {}
    for ti, track in enumerate(data.get("tracks", [])):
        clips = track.get("clips", [])
        extra: list[dict[str, Any]] = []
        for ci, clip in enumerate(list(clips)):
            spec = clip.get("source", {}).get("template")
            if spec is None:
                continue
            cp = f"tracks[{ti}].clips[{ci}]"
            if track.get("kind") not in ("TRACK_KIND_TEXT", "TRACK_KIND_OVERLAY"):
                violations.append((f"{cp}.source.template", "templates go on text or overlay tracks"))
                continue
            template = found.get(spec.get("id", ""))
            if template is None:
                known = ", ".join(sorted(found)) or "none"
                violations.append(
                    (f"{cp}.source.template.id", f"unknown template {spec.get('id', '')!r}; known: {known}")
                )
                continue
            given = spec.get("fields", {})
            names = {f.name for f in template.fields}
            for name in given:
                if name not in names:
                    violations.append(
                        (
                            f"{cp}.source.template.fields.{name}",
                            f"{template.id!r} has no field {name!r}; it has {', '.join(sorted(names))}",
                        )
                    )
            parts = _fragment(template, clip, given, height, f"{cp}.source.template.id", violations)
            if parts:
                clips[ci] = parts[0]
                extra.extend(parts[1:])
        clips.extend(extra)


def _fragment(
    template: Template,
    clip: dict[str, Any],
    given: dict[str, str],
    height: float,
    path: str,
    violations: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    values = {f.name: str(given.get(f.name, f.default)) for f in template.fields}
    start = float(clip.get("start", 0))
    duration = float(clip.get("duration", 0)) or template.duration
    factor = duration / template.duration
    scale = height / 1080
    before = len(violations)
    parts = []
    for index, raw in enumerate(template.clips):
        part = _substitute(copy.deepcopy(raw), values, path, violations, report=True)
        part["id"] = f"{clip.get('id', 'template')}.{raw.get('id', index)}"
        part["start"] = start + float(part.get("start", 0)) * factor
        if "duration" in part:
            part["duration"] = float(part["duration"]) * factor
        text = part.get("source", {}).get("text")
        if isinstance(text, dict):
            for key in _SIZES:
                if isinstance(text.get(key), int | float):
                    text[key] = text[key] * scale
        parts.append(part)
    if len(violations) > before:
        # A placeholder the template does not declare: the template's fault, named at its id.
        del violations[before + 1 :]
        violations[before] = (
            path,
            f"template {template.id!r} uses an undeclared field ({violations[before][1]})",
        )
        return []
    return parts
