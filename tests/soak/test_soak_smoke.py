"""A tiny soak run (`python -m soak` with small counts): 20 media requests and 2 renders through the
gateway of the whole suite started as processes, with the media service restarted during the load.
It proves the harness and the suite's behaviour under a fault, never timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_media_restart_under_load_loses_no_job_and_shows_only_documented_errors(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    args = [sys.executable, "-m", "soak", "--duration", "120", "--requests", "20", "--concurrency", "5"]
    args += ["--jobs", "2", "--replicas", "1", "--faults", "media", "--media-files", "2"]
    # On a host busy with other test runs a restart of media can take most of a minute; the test is
    # about what clients are finally told, so they keep retrying longer than the documented 60 s.
    args += ["--retry-budget", "240"]
    args += ["--data-dir", str(tmp_path / "run"), "--json", str(figures)]
    run = subprocess.run(
        args,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=570,
    )
    assert figures.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(figures.read_text())
    report = run.stdout[-3000:]

    assert [f["name"] for f in summary["faults"]] == ["media"], report
    assert not summary["faults"][0]["error"], report
    assert summary["jobs_accepted"] == 2, report
    assert summary["jobs_lost"] == 0, report
    assert summary["jobs_completed"] == summary["jobs_accepted"] == summary["jobs_output_ok"], report
    assert summary["undocumented_errors"] == {}, report
    assert summary["requests"] == 20, report
    assert run.returncode == 0, report
