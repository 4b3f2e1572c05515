#!/usr/bin/env python3
"""Install uv into a private folder (default `.tools/`) with nothing but the system's python3.

PEP 668 forbids `pip install --user` on Debian 12 / Ubuntu 24.04, so uv goes into a virtual
environment of its own (`python3 -m venv .tools`, then pip inside it). Where the distribution's
`python3-venv` (ensurepip) is missing, the uv wheel is fetched from PyPI with the standard library,
checked against the sha256 PyPI lists for it, and only its `uv` binary is unpacked into
`.tools/bin/`. Either way nothing outside the folder is touched. Prints the path of the uv binary.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import urllib.parse
import urllib.request
import venv
import zipfile
from pathlib import Path

UV_REQUIREMENT = "uv>=0.5,<0.14"
UV_VERSION = "0.13.9"  # the wheel fetched when pip is not available
PYPI_JSON = "https://pypi.org/pypi/uv/json"


def uv_path(tools: Path) -> Path:
    return tools / "bin" / "uv"


def with_pip(tools: Path) -> bool:
    """venv + pip in the private folder; False when this python cannot make a venv with pip."""
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(tools)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bootstrap_uv: no venv with pip here ({exc}); fetching the uv wheel instead", file=sys.stderr)
        shutil.rmtree(tools, ignore_errors=True)
        return False
    pip = [str(tools / "bin" / "python"), "-m", "pip", "install", "--quiet", UV_REQUIREMENT]
    return subprocess.run(pip, check=False).returncode == 0


def wheel_tag() -> str:
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
    arch = machine.get(platform.machine().lower())
    if sys.platform != "linux" or arch is None:
        raise SystemExit(f"bootstrap_uv: no uv wheel chosen for {sys.platform}/{platform.machine()}")
    return f"manylinux_2_17_{arch}"


def from_wheel(tools: Path, version: str = UV_VERSION) -> None:
    """Fetch uv's manylinux wheel from PyPI, verify its sha256, unpack the binary."""
    with urllib.request.urlopen(PYPI_JSON, timeout=60) as reply:
        releases = json.load(reply)["releases"]
        index_url = reply.geturl()
    tag = wheel_tag()
    files = [f for f in releases.get(version, []) if f["filename"].endswith(".whl") and tag in f["filename"]]
    if not files:
        raise SystemExit(f"bootstrap_uv: PyPI lists no {tag} wheel for uv {version}")
    chosen = files[0]
    # Mirrors of PyPI may list the files by relative URL.
    with urllib.request.urlopen(urllib.parse.urljoin(index_url, chosen["url"]), timeout=300) as reply:
        data = reply.read()
    if hashlib.sha256(data).hexdigest() != chosen["digests"]["sha256"]:
        raise SystemExit(f"bootstrap_uv: sha256 mismatch for {chosen['filename']}")
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        member = next(n for n in wheel.namelist() if n.endswith("/scripts/uv"))
        target = uv_path(tools)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(wheel.read(member))
    target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=Path, default=Path(".tools"), help="private folder (default .tools)")
    parser.add_argument("--no-pip", action="store_true", help="skip the venv + pip route")
    args = parser.parse_args()
    tools: Path = args.tools
    if not uv_path(tools).exists():
        if args.no_pip or os.environ.get("TSTUDIO_BOOTSTRAP_NO_PIP") or not with_pip(tools):
            from_wheel(tools)
    print(uv_path(tools))
    return 0


if __name__ == "__main__":
    sys.exit(main())
