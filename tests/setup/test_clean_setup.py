"""The README's setup from a copy of the working tree with a clean environment, as on a stock
Debian/Ubuntu: only /usr/bin and /bin on PATH, an empty HOME, no uv installed. uv is bootstrapped
into `.tools/` by the distribution's python3; the runtime install (what `make demo` and `make up`
need) holds no test tools; the full `make setup` adds them. uv's package cache is shared with this
environment so that the syncs link files instead of downloading 2 GB again."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _uv_cache_dir() -> str:
    uv = shutil.which("uv") or next(
        (str(p) for p in (Path.home() / ".local/bin/uv", ROOT / ".tools/bin/uv") if p.exists()), None
    )
    if uv is None:
        pytest.skip("no uv here to share its cache")
    return subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def clean_copy(tmp_path: Path) -> Path:
    if not (Path("/usr/bin/python3").exists() and Path("/usr/bin/make").exists()):
        pytest.skip("needs the distribution's python3 and make in /usr/bin")
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    copy = tmp_path / "repo"
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = copy / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return copy


def _make(target: str, repo: Path, home: Path, cache: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "UV_CACHE_DIR": cache}
    return subprocess.run(
        ["make", target], cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_readme_setup_works_with_a_clean_path_and_home(clean_copy: Path, tmp_path: Path) -> None:
    cache = _uv_cache_dir()
    home = tmp_path / "home"
    home.mkdir()

    runtime = _make("setup-runtime", clean_copy, home, cache)
    assert runtime.returncode == 0, runtime.stdout + runtime.stderr
    assert (clean_copy / ".tools/bin/uv").exists(), "uv is bootstrapped into .tools/"
    assert not (home / ".local").exists(), "nothing is installed into the user's home"
    bin_dir = clean_copy / ".venv/bin"
    help_text = subprocess.run(
        [str(bin_dir / "tstudio"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "render" in help_text
    assert (bin_dir / "nats-server").exists()
    assert not (bin_dir / "pytest").exists(), "the runtime install holds no test tools"

    full = _make("setup", clean_copy, home, cache)
    assert full.returncode == 0, full.stdout + full.stderr
    assert (bin_dir / "pytest").exists()
    assert (clean_copy / "node_modules/.bin/buf").exists()
