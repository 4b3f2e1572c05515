"""End to end: `tstudio up` starts nats-server and every service as processes; we call each
service's health and the media Probe over the network, then stop the suite with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from svckit.testing import free_port_block, make_video
from tstudio.media.v1 import media_pb2, media_pb2_grpc
from tstudio_cli.suite import PORTS_PER_SUITE

SERVICES = {
    "compiler": "tstudio.compiler.v1.CompilerService",
    "media": "tstudio.media.v1.MediaService",
    "recognition": "tstudio.recognition.v1.RecognitionService",
    "security": "tstudio.security.v1.SecurityService",
}
ORDER = ["compiler", "media", "recognition", "security", "gateway"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    data_dir = tmp_path_factory.mktemp("suite")
    base = free_port_block(PORTS_PER_SUITE)
    tstudio = Path(sys.executable).parent / "tstudio"
    process = subprocess.Popen(
        [
            *(str(tstudio), "up", "--base-port", str(base), "--data-dir", str(data_dir)),
            *("--allow-root", str(tmp_path_factory.getbasetemp())),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TSTUDIO_STATE_FILE": str(data_dir / "suite.json")},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Press Ctrl-C" in line:
            break
    if not any("Press Ctrl-C" in line for line in seen):
        process.kill()
        logs = "".join(p.read_text()[-2000:] for p in (data_dir / "logs").glob("*.log"))
        pytest.fail("tstudio up did not come up:\n" + "".join(seen) + logs)
    yield base, process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def test_every_service_reports_serving(suite: tuple[int, subprocess.Popen[str]]) -> None:
    base, _ = suite
    for name, service in SERVICES.items():
        port = base + ORDER.index(name)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=5
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, name


def test_probe_over_the_network(suite: tuple[int, subprocess.Popen[str]], tmp_path: Path) -> None:
    base, _ = suite
    video = make_video(tmp_path / "clip.mp4", seconds=1.0, width=160, height=120, fps=25)
    with grpc.insecure_channel(f"127.0.0.1:{base + ORDER.index('media')}") as channel:
        reply = media_pb2_grpc.MediaServiceStub(channel).Probe(
            media_pb2.ProbeRequest(path=str(video)), timeout=10
        )
    video_streams = [s for s in reply.info.streams if s.type == media_pb2.STREAM_TYPE_VIDEO]
    assert video_streams[0].width == 160
    assert abs(reply.info.duration_seconds - 1.0) < 0.1


def test_doctor_reports_every_service(suite: tuple[int, subprocess.Popen[str]]) -> None:
    base, _ = suite
    tstudio = Path(sys.executable).parent / "tstudio"
    result = subprocess.run(
        [str(tstudio), "doctor", "--json", "--base-port", str(base)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = {entry["service"]: entry for entry in json.loads(result.stdout)}
    assert set(report) == set(ORDER)
    assert all(entry["health"] == "SERVING" for entry in report.values()), report
    assert result.returncode == 0


def test_ctrl_c_stops_everything(suite: tuple[int, subprocess.Popen[str]]) -> None:
    base, process = suite
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0
    with grpc.insecure_channel(f"127.0.0.1:{base + ORDER.index('media')}") as channel:
        with pytest.raises(grpc.RpcError):
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
