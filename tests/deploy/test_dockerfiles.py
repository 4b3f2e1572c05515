"""Every image's Dockerfile passes hadolint and keeps the conventions of docs/deploy.md:
multi-stage `uv sync --frozen --package <member> --no-dev`, a non-root numeric user, a healthcheck,
`python -m tstudio_<svc>` as entrypoint, settings defaults through `<PREFIX>_*` variables.

No Docker engine runs here, so the builder stage is checked by replaying its COPY lines and
`uv sync` commands in a temporary directory (from uv's cache, offline) and importing the result."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from svckit.testing import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Image:
    dockerfile: str
    member: str
    module: str
    prefix: str
    port: int
    gpu: bool = False


IMAGES = (
    Image("services/compiler/Dockerfile", "tstudio-compiler", "tstudio_compiler", "COMPILER", 50051),
    Image("services/media/Dockerfile", "tstudio-media", "tstudio_media", "MEDIA", 50052),
    Image(
        "services/recognition/Dockerfile", "tstudio-recognition", "tstudio_recognition", "RECOGNITION", 50053
    ),
    Image("services/security/Dockerfile", "tstudio-security", "tstudio_security", "SECURITY", 50054),
    Image("gateway/Dockerfile", "tstudio-gateway", "tstudio_gateway", "GATEWAY", 8080),
    Image(
        "services/compiler/Dockerfile.gpu",
        "tstudio-compiler",
        "tstudio_compiler",
        "COMPILER",
        50051,
        gpu=True,
    ),
    Image(
        "services/recognition/Dockerfile.gpu",
        "tstudio-recognition",
        "tstudio_recognition",
        "RECOGNITION",
        50053,
        gpu=True,
    ),
)
IDS = [image.dockerfile for image in IMAGES]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_every_dockerfile_in_the_repo_is_checked() -> None:
    found = {str(p.relative_to(REPO)) for p in REPO.glob("services/*/Dockerfile*")}
    found |= {str(p.relative_to(REPO)) for p in REPO.glob("gateway/Dockerfile*")}
    assert found == set(IDS)


@pytest.mark.parametrize("image", IMAGES, ids=IDS)
def test_hadolint_passes(image: Image, tool: Callable[[str], str]) -> None:
    hadolint = tool("hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", image.dockerfile], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("image", IMAGES, ids=IDS)
def test_image_runs_the_service_as_non_root_with_a_healthcheck(image: Image) -> None:
    steps = instructions(REPO / image.dockerfile)
    keywords = [k for k, _ in steps]
    args = dict(reversed(steps))  # first occurrence of each keyword

    assert keywords.count("FROM") >= 3, "multi-stage: uv, builder and runtime"
    syncs = [a for k, a in steps if k == "RUN" and "uv sync" in a]
    assert syncs and all(f"--frozen --package {image.member} --no-dev" in s for s in syncs)
    user = [a for k, a in steps if k == "USER"][-1]
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), "numeric non-root user, so runAsNonRoot can verify it"
    assert args["ENTRYPOINT"] == f'["python", "-m", "{image.module}"]'
    assert "HEALTHCHECK" in keywords
    healthcheck = [a for k, a in steps if k == "HEALTHCHECK"][-1]
    assert f"${{{image.prefix}_PORT}}" in healthcheck
    env = " ".join(a for k, a in steps if k == "ENV")
    for setting in (f"{image.prefix}_HOST=0.0.0.0", f"{image.prefix}_PORT={image.port}"):
        assert setting in env
    assert f"{image.prefix}_METRICS_PORT=9464" in env
    assert f"{image.prefix}_DATA_DIR=/var/lib/tstudio/" in env
    assert str(image.port) in [a for k, a in steps if k == "EXPOSE"][-1].split()
    if image.gpu:
        assert "nvidia/cuda" in args["ARG"] or any("nvidia/cuda" in a for k, a in steps if k == "ARG")


def workspace_members() -> list[str]:
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    return list(root["tool"]["uv"]["workspace"]["members"])


@pytest.mark.parametrize("image", IMAGES, ids=IDS)
def test_builder_copies_every_workspace_manifest(image: Image) -> None:
    """uv resolves the whole workspace even for one package, so a new member must be copied too."""
    copies = {
        a.split()[0] for k, a in instructions(REPO / image.dockerfile) if k == "COPY" and "--from" not in a
    }
    for member in workspace_members():
        assert f"{member}/pyproject.toml" in copies, f"{image.dockerfile} misses {member}/pyproject.toml"


def replay_builder(image: Image, workdir: Path, uv: str) -> Path:
    """Run the builder stage's COPY and `uv sync` steps in `workdir`; return the venv it made."""
    venv = workdir / "venv"
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": sys.executable,
        "UV_OFFLINE": "1",
        "UV_NO_PROGRESS": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    src = workdir / "src"
    src.mkdir()
    in_builder = False
    for keyword, args in instructions(REPO / image.dockerfile):
        if keyword == "FROM":
            in_builder = args.endswith("AS builder")
        if not in_builder:
            continue
        if keyword == "COPY" and "--from" not in args:
            *sources, dest = args.split()
            for source in sources:
                target = src / dest / (Path(source).name if dest.endswith("/") else "")
                if (REPO / source).is_dir():
                    shutil.copytree(
                        REPO / source,
                        target,
                        ignore=shutil.ignore_patterns("__pycache__", "tests", ".venv", "*.egg-info"),
                        dirs_exist_ok=True,
                    )
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / source, target)
        elif keyword == "RUN" and "uv sync" in args:
            command = [uv, *args[args.index("uv sync") :].split("&&")[0].split()[1:]]
            result = subprocess.run(command, cwd=src, env=env, capture_output=True, text=True, check=False)
            assert result.returncode == 0, result.stderr[-3000:]
    return venv


@pytest.fixture(scope="session")
def builder_venv(
    tool: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Image], Path]:
    """`builder_venv(image)`: the venv the image's builder stage makes, replayed once per session."""
    venvs: dict[str, Path] = {}

    def build(image: Image) -> Path:
        if image.dockerfile not in venvs:
            workdir = tmp_path_factory.mktemp(image.member)
            venvs[image.dockerfile] = replay_builder(image, workdir, tool("uv"))
        return venvs[image.dockerfile]

    return build


# The CPU images, which are what a cluster without GPUs runs; the GPU ones differ only in base
# image and (recognition) the onnxruntime wheel.
@pytest.mark.parametrize(
    "image", [i for i in IMAGES if not i.gpu], ids=[i.dockerfile for i in IMAGES if not i.gpu]
)
def test_builder_stage_installs_a_venv_that_imports_the_service(
    image: Image, tmp_path: Path, builder_venv: Callable[[Image], Path]
) -> None:
    venv = builder_venv(image)
    python = venv / "bin" / "python"
    # The composition root imports every runtime dependency, so a package that only the dev group
    # brings (and the image therefore lacks) fails here. Services not yet written have no __main__.
    code = (
        "import importlib, importlib.util, svckit.healthcheck\n"
        f"if importlib.util.find_spec('{image.module}.__main__'):\n"
        f"    importlib.import_module('{image.module}.__main__')\n"
        f"else:\n"
        f"    importlib.import_module('{image.module}')\n"
    )
    result = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # --no-editable: the service is a real install, not a path back into the source tree.
    located = subprocess.run(
        [str(python), "-c", f"import {image.module}; print({image.module}.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(venv) in located


def dockerfile_env(image: Image) -> dict[str, str]:
    """The runtime stage's ENV, as `docker run` would set it."""
    steps = instructions(REPO / image.dockerfile)
    runtime_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    env: dict[str, str] = {}
    for keyword, args in steps[runtime_from:]:
        if keyword == "ENV":
            for pair in args.split():
                name, _, value = pair.partition("=")
                env[name] = value
    return env


# The image's own start-up path: the entrypoint module with the Dockerfile's environment, checked
# by the Dockerfile's HEALTHCHECK command. Writable places are only the data dir and /tmp, as on
# a read-only root filesystem.
@pytest.mark.parametrize(
    "image", [i for i in IMAGES if not i.gpu], ids=[i.dockerfile for i in IMAGES if not i.gpu]
)
def test_entrypoint_starts_and_passes_the_healthcheck(
    image: Image, tmp_path: Path, builder_venv: Callable[[Image], Path]
) -> None:
    if not (REPO / image.dockerfile).parent.joinpath("src", image.module, "__main__.py").exists():
        pytest.skip(f"{image.module} has no __main__ yet")
    venv = builder_venv(image)
    data_dir, home = tmp_path / "data", tmp_path / "home"
    data_dir.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    for name, value in dockerfile_env(image).items():
        env[name] = value.replace("/app/.venv", str(venv)).replace("$PATH", os.environ["PATH"])
    env.update(
        {
            "HOME": str(home),
            f"{image.prefix}_DATA_DIR": str(data_dir),
            f"{image.prefix}_HOST": "127.0.0.1",
            f"{image.prefix}_PORT": str(free_port()),
            f"{image.prefix}_METRICS_PORT": str(free_port()),
        }
    )
    if image.prefix == "MEDIA":
        env["MEDIA_HTTP_PORT"] = str(free_port())
    steps = instructions(REPO / image.dockerfile)
    entrypoint = json.loads(dict(steps)["ENTRYPOINT"])
    healthcheck = json.loads(dict(steps)["HEALTHCHECK"].split(" CMD ", 1)[1])
    # The image's root filesystem is read-only: nothing may be written into the installed venv.
    installed_before = {p: p.stat().st_mtime_ns for p in venv.rglob("*")}
    log = (tmp_path / "service.log").open("wb")
    service = subprocess.Popen(entrypoint, cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if service.poll() is not None:
                pytest.fail(f"exited {service.returncode}: {(tmp_path / 'service.log').read_text()[-3000:]}")
            if subprocess.run(healthcheck, env=env, capture_output=True, check=False).returncode == 0:
                break
            assert time.monotonic() < deadline, (tmp_path / "service.log").read_text()[-3000:]
            time.sleep(0.5)
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
    # Graceful shutdown on SIGTERM, as Kubernetes sends it.
    assert service.returncode == 0, (tmp_path / "service.log").read_text()[-3000:]
    installed_after = {p: p.stat().st_mtime_ns for p in venv.rglob("*")}
    changed = {
        p
        for p in installed_before.keys() | installed_after.keys()
        if installed_before.get(p) != installed_after.get(p)
    }
    assert not changed, sorted(map(str, changed))[:20]
