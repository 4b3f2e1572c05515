"""`tstudio up`'s desktop defaults and its supervisor's back-off, without starting processes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tstudio_cli.commands.up import ROOTED_SERVICES, add_suite_arguments, roots_line, suite_from_args
from tstudio_cli.supervisor import Supervisor, exit_reason


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_suite_arguments(parser)
    return parser.parse_args(list(argv))


def test_default_roots_are_home_and_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for prefix in ROOTED_SERVICES:
        monkeypatch.delenv(f"{prefix}_ALLOWED_ROOTS", raising=False)
        monkeypatch.delenv(f"{prefix}_BASE_DIR", raising=False)
    suite = suite_from_args(_args("--allow-root", "/srv/media"))
    roots = suite.extra_env["MEDIA_ALLOWED_ROOTS"].split(",")
    assert roots == [str(Path.home().resolve()), str(tmp_path.resolve()), "/srv/media"]
    assert suite.extra_env["COMPILER_BASE_DIR"] == str(tmp_path)
    assert roots_line(suite).startswith("allowed roots:")


def test_open_roots_are_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ROOTED_SERVICES:
        monkeypatch.delenv(f"{prefix}_ALLOWED_ROOTS", raising=False)
    assert roots_line(suite_from_args(_args("--open-roots"))).startswith("WARNING: no allowed roots")


def test_roots_from_the_environment_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPILER_ALLOWED_ROOTS", "/data")
    assert "COMPILER_ALLOWED_ROOTS" not in suite_from_args(_args()).extra_env


@dataclass
class _Process:
    returncode: int | None = None
    pid: int = 1

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class _Suite:
    processes: dict[str, _Process] = field(
        default_factory=lambda: {"media": _Process(), "compiler": _Process()}
    )
    log_dir: Path = Path("/logs")
    starts: list[str] = field(default_factory=list)

    def start_component(self, name: str) -> None:
        self.starts.append(name)
        self.processes[name] = _Process(pid=len(self.starts) + 1)


def test_a_crash_loop_backs_off_and_the_others_are_left_alone() -> None:
    now = [0.0]
    said: list[str] = []
    suite = _Suite()
    supervisor = Supervisor(suite, said.append, clock=lambda: now[0])  # type: ignore[arg-type]
    delays = []
    for _ in range(7):
        suite.processes["media"].returncode = -9
        supervisor.tick()  # noticed: scheduled
        delays.append(float(said[-1].split(" in ")[1].split(" s")[0]))
        now[0] += delays[-1]
        assert supervisor.tick() == ["media"]
        now[0] += 1
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert suite.starts == ["media"] * 7 and "compiler" not in suite.starts
    assert "media killed by SIGKILL" in said[0]
    assert exit_reason(3) == "exited with code 3"
