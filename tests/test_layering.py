"""The layering DESIGN.md agrees on, checked on the source: services never import each other, and
domain code stays free of gRPC, generated stubs and I/O libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "tstudio_compiler": ROOT / "services/compiler/src/tstudio_compiler",
    "tstudio_media": ROOT / "services/media/src/tstudio_media",
    "tstudio_recognition": ROOT / "services/recognition/src/tstudio_recognition",
    "tstudio_security": ROOT / "services/security/src/tstudio_security",
    "tstudio_gateway": ROOT / "gateway/src/tstudio_gateway",
}
DOMAIN_FORBIDDEN = ("grpc", "av", "onnxruntime", "wasmtime", "nats", "aiohttp", "hvac", "keyring")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_services_never_import_each_other(package: str) -> None:
    others = {name for name in PACKAGES if name != package}
    offenders = []
    for source in PACKAGES[package].rglob("*.py"):
        for name in _imports(source):
            if name.split(".")[0] in others:
                offenders.append(f"{source.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_domain_code_has_no_grpc_stubs_or_io_libraries(package: str) -> None:
    offenders = []
    for domain in PACKAGES[package].rglob("domain"):
        for source in domain.rglob("*.py"):
            for name in _imports(source):
                top = name.split(".")[0]
                if top in DOMAIN_FORBIDDEN or name.endswith(("_pb2", "_pb2_grpc")):
                    offenders.append(f"{source.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)
