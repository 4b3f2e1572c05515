"""End to end: one `tstudio up` started in one folder; every CLI command run from another folder
finds it through the state file; busy ports are refused by name; a SIGKILLed service comes back
while the others keep serving; a preview does not overwrite the final render."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from svckit.testing import free_port, free_port_block
from tstudio_cli.demo_media import write_demo
from tstudio_cli.suite import PORTS_PER_SUITE

TSTUDIO = str(Path(sys.executable).parent / "tstudio")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    base: int
    process: subprocess.Popen[str]
    env: dict[str, str]
    state_file: Path
    elsewhere: Path
    demo: Path

    def tstudio(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TSTUDIO, *args],
            cwd=self.elsewhere,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("finds")
    project_dir, elsewhere, state_home = root / "project", root / "elsewhere", root / "state"
    for folder in (project_dir, elsewhere, state_home):
        folder.mkdir()
    demo = write_demo(project_dir / "demo", width=160, height=90)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSTUDIO_")}
    env.update({"XDG_STATE_HOME": str(state_home), "PYTHONUNBUFFERED": "1"})
    base = free_port_block(PORTS_PER_SUITE)
    process = subprocess.Popen(
        [TSTUDIO, "up", "--base-port", str(base), "--data-dir", str(root / "data")],
        cwd=project_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Press Ctrl-C" in line:
            break
    if not any("Press Ctrl-C" in line for line in seen):
        process.kill()
        pytest.fail("tstudio up did not come up:\n" + "".join(seen))
    assert any("allowed roots:" in line and str(project_dir) in line for line in seen), seen
    yield Running(base, process, env, state_home / "tstudio" / "suite.json", elsewhere, demo)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def test_doctor_and_invoke_find_the_suite_from_another_folder(running: Running) -> None:
    doctor = running.tstudio("doctor", "--json")
    report = {entry["service"]: entry for entry in json.loads(doctor.stdout)}
    assert report["compiler"]["address"] == f"127.0.0.1:{running.base}"
    assert all(entry["health"] == "SERVING" for entry in report.values()), report
    invoked = running.tstudio("invoke", "compiler.list_transitions", "{}")
    assert invoked.returncode == 0, invoked.stderr  # the dev token came from the state file too
    assert "crossfade" in invoked.stdout


def test_probe_finds_the_media_service_and_the_roots_keep_other_files_out(running: Running) -> None:
    inside = running.tstudio("probe", str(running.demo.parent / "media" / "a.mp4"))
    assert inside.returncode == 0, inside.stderr
    outside = running.tstudio("probe", "/etc/hostname")
    assert outside.returncode == 1 and "PERMISSION_DENIED" in outside.stderr


def test_preview_goes_beside_the_final_render_and_frame_writes_an_image(running: Running) -> None:
    final = running.tstudio("render", str(running.demo))
    assert final.returncode == 0, final.stderr
    final_path = Path(final.stdout.strip())
    size = final_path.stat().st_size
    preview = running.tstudio("render", str(running.demo), "--preview")
    assert preview.returncode == 0, preview.stderr
    assert Path(preview.stdout.strip()) == final_path.with_name("demo.preview.mp4")
    assert final_path.stat().st_size == size, "the final render is kept"
    image = running.elsewhere / "f.png"
    frame = running.tstudio("frame", str(running.demo), "-t", "2.5", "-o", str(image))
    assert frame.returncode == 0, frame.stderr
    assert image.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_node_gateway_example_renders_on_the_real_compiler(running: Running) -> None:
    state = json.loads(running.state_file.read_text())
    token = Path(state["token_file"]).read_text().strip()
    media = running.demo.parent / "media"
    output = running.demo.parent / "out" / "node.mp4"
    session = subprocess.run(
        [
            *("node", "--experimental-websocket", str(ROOT / "clients/node/examples/gateway_session.js")),
            *(f"http://127.0.0.1:{state['ports']['gateway']}", token, str(media / "a.mp4"), str(output)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert session.returncode == 0, session.stderr
    steps = {line["step"]: line for line in map(json.loads, session.stdout.splitlines())}
    assert steps["http_error"]["field"] == "path"
    assert steps["ws_render"]["last_status"] == "JOB_STATUS_SUCCEEDED"
    assert "tstudio.compiler.render.completed" in steps["ws_render"]["events"]
    assert output.stat().st_size > 0


def test_an_edited_60_s_timeline_re_renders_only_the_edited_segment(running: Running) -> None:
    colours = ["#aa3322", "#22aa33", "#2233aa", "#aaaa22", "#22aaaa", "#aa22aa"]
    clips = [
        {"id": f"c{i}", "source": {"color": {"color": c}}, "start": 10 * i, "duration": 10}
        for i, c in enumerate(colours)
    ]
    timeline = {
        "settings": {"width": 160, "height": 90, "fps": 30},
        "tracks": [{"id": "v", "kind": "VIDEO", "clips": clips}],
        "output": {"path": "out/sixty.mp4", "audioCodec": "none"},
    }
    project_file = running.demo.parent / "sixty.json"
    project_file.write_text(json.dumps(timeline))
    first = running.tstudio("render", str(project_file))
    assert first.returncode == 0, first.stderr
    assert "0 of 6 segments from the cache" in first.stderr  # tstudio up's default: the cache is on
    clips[3]["effects"] = [{"type": "sepia"}]
    project_file.write_text(json.dumps(timeline))
    second = running.tstudio("render", str(project_file))
    assert second.returncode == 0, second.stderr
    assert "5 of 6 segments from the cache" in second.stderr


def test_a_second_up_refuses_the_busy_ports_by_name(running: Running) -> None:
    second = running.tstudio("up", "--base-port", str(running.base))
    assert second.returncode == 1
    assert "ports in use" in second.stderr and f"{running.base} (compiler)" in second.stderr
    assert "Timeline Studio backend is up" not in second.stdout


def test_a_killed_service_comes_back_and_the_others_keep_serving(running: Running) -> None:
    state = json.loads(running.state_file.read_text())
    old_pid = state["processes"]["media"]
    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 120
    new_pid = old_pid
    while time.monotonic() < deadline and new_pid == old_pid:
        time.sleep(0.5)
        new_pid = json.loads(running.state_file.read_text())["processes"]["media"]
    assert new_pid != old_pid, "the media service was not started again"
    assert running.tstudio("invoke", "compiler.list_transitions", "{}").returncode == 0
    while time.monotonic() < deadline:
        if running.tstudio("probe", str(running.demo.parent / "media" / "b.mp4")).returncode == 0:
            break
        time.sleep(1)
    else:
        pytest.fail("the restarted media service does not answer")
    assert running.process.poll() is None, "tstudio up keeps running"


def test_a_refused_connection_says_how_to_start_the_suite(running: Running, tmp_path: Path) -> None:
    env = {**running.env, "XDG_STATE_HOME": str(tmp_path), "TSTUDIO_COMPILER": f"127.0.0.1:{free_port()}"}
    refused = running.tstudio("render", str(running.demo), env=env)
    assert refused.returncode == 1
    assert "cannot reach the compiler" in refused.stderr and "tstudio up" in refused.stderr
    assert "TSTUDIO_COMPILER" in refused.stderr


def test_ctrl_c_removes_the_state_file(running: Running) -> None:
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(60) == 0
    assert not running.state_file.exists()
