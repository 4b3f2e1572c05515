#!/usr/bin/env python3
"""Write the leading comments of every message, field, enum, enum value, service and method of a descriptor set
(protoc --include_source_info) as JSON: {"tstudio.compiler.v1.Clip.source_in": "Trim of ...", ...}.

The generated Python stubs carry no comments; the gateway reads this file to put the contracts'
comments into its JSON Schema and OpenAPI descriptions. `make protos` runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2

# Paths into FileDescriptorProto (descriptor.proto field numbers).
MESSAGE, ENUM, SERVICE = 4, 5, 6
METHOD = 2
NESTED_MESSAGE, NESTED_ENUM, FIELD = 3, 4, 2
ENUM_VALUE = 2


def comments(descriptor_set: bytes) -> dict[str, str]:
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set)
    out: dict[str, str] = {}
    for file in files.file:
        if not file.package.startswith("tstudio."):
            continue
        by_path = {
            tuple(loc.path): " ".join(loc.leading_comments.split())
            for loc in file.source_code_info.location
            if loc.leading_comments.strip()
        }
        for i, message in enumerate(file.message_type):
            _message(message, file.package, (MESSAGE, i), by_path, out)
        for i, enum in enumerate(file.enum_type):
            _enum(enum, file.package, (ENUM, i), by_path, out)
        for i, service in enumerate(file.service):
            name = f"{file.package}.{service.name}"
            if (SERVICE, i) in by_path:
                out[name] = by_path[(SERVICE, i)]
            for j, method in enumerate(service.method):
                if (SERVICE, i, METHOD, j) in by_path:
                    out[f"{name}.{method.name}"] = by_path[(SERVICE, i, METHOD, j)]
    return dict(sorted(out.items()))


def _message(message, prefix: str, path: tuple[int, ...], by_path, out: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}.{message.name}"
    if path in by_path:
        out[name] = by_path[path]
    for i, field in enumerate(message.field):
        if (*path, FIELD, i) in by_path:
            out[f"{name}.{field.name}"] = by_path[(*path, FIELD, i)]
    for i, nested in enumerate(message.nested_type):
        _message(nested, name, (*path, NESTED_MESSAGE, i), by_path, out)
    for i, enum in enumerate(message.enum_type):
        _enum(enum, name, (*path, NESTED_ENUM, i), by_path, out)


def _enum(enum, prefix: str, path: tuple[int, ...], by_path, out: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}.{enum.name}"
    if path in by_path:
        out[name] = by_path[path]
    for i, value in enumerate(enum.value):
        if (*path, ENUM_VALUE, i) in by_path:
            out[f"{name}.{value.name}"] = by_path[(*path, ENUM_VALUE, i)]


def main() -> int:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.write_text(json.dumps(comments(source.read_bytes()), indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
