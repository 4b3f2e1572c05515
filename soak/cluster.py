"""The suite under test: `tstudio_cli.suite.Suite` plus what chaos needs (extra compiler replicas,
restarting media and nats-server on the same ports, SIGKILL of a replica)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from svckit.testing import free_port, nats_server_binary
from tstudio_cli.suite import GATEWAY, GRPC_SERVICES, Component, Suite, SuitePorts, component_healthy

log = logging.getLogger(__name__)

COMPILER = next(c for c in GRPC_SERVICES if c.name == "compiler")
MEDIA = next(c for c in GRPC_SERVICES if c.name == "media")


def free_port_block(size: int) -> int:
    """A base port whose next `size` ports are free now (the suite takes consecutive ports)."""
    import socket

    for _ in range(50):
        base = free_port()
        if base + size > 65000:
            continue
        sockets = []
        try:
            for offset in range(size):
                sock = socket.socket()
                sock.bind(("127.0.0.1", base + offset))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports on loopback")


@dataclass
class Cluster:
    """A started suite; `replicas` maps each compiler replica's name to its address."""

    suite: Suite
    replicas: dict[str, str] = field(default_factory=dict)
    # Prometheus endpoint port of each gRPC service process (replicas included).
    metrics_ports: dict[str, int] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://{self.suite.ports.address(GATEWAY.name)}"

    @property
    def pids(self) -> dict[str, int]:
        # A copy first: the sampler thread reads this while chaos replaces processes.
        return {name: p.pid for name, p in list(self.suite.processes.items()) if p.poll() is None}

    def add_compiler_replica(self, index: int, timeout: float = 60.0) -> str:
        """Start `python -m tstudio_compiler` as replica `compiler-<index>` on a free port."""
        name = f"compiler-{index}"
        port, metrics_port = free_port(), free_port()
        env = self.suite.component_env(COMPILER)
        env.update(
            {
                "COMPILER_PORT": str(port),
                "COMPILER_METRICS_PORT": str(metrics_port),
                "COMPILER_DATA_DIR": str(self.suite.data_dir / name),
                "OTEL_SERVICE_NAME": f"tstudio-{name}",
            }
        )
        address = f"{self.suite.host}:{port}"
        self._spawn(name, [sys.executable, "-m", COMPILER.module], env)
        self._wait(name, COMPILER, address, timeout)
        self.replicas[name] = address
        self.metrics_ports[name] = metrics_port
        return address

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, like a node or container dying."""
        process = self.suite.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.replicas.pop(name, None)
        log.info("killed %s (pid %d) with SIGKILL", name, process.pid)

    def restart_media(self, timeout: float = 60.0) -> float:
        """SIGTERM the media service, start it again on its port; returns seconds until SERVING."""
        started = time.monotonic()
        self._stop(MEDIA.name)
        self._spawn(MEDIA.name, [sys.executable, "-m", MEDIA.module], self.suite.component_env(MEDIA))
        self._wait(MEDIA.name, MEDIA, self.suite.ports.address(MEDIA.name, self.suite.host), timeout)
        return time.monotonic() - started

    def restart_nats(self, timeout: float = 20.0) -> float:
        """SIGTERM nats-server and start it again on the same port and JetStream store."""
        started = time.monotonic()
        self._stop("nats")
        store = self.suite.data_dir / "nats"
        args = [nats_server_binary(), "-js", "-sd", str(store), "-a", self.suite.host]
        args += ["-p", str(self.suite.ports.nats)]
        self._spawn("nats", args, os.environ.copy())
        _wait_for_tcp(self.suite.host, self.suite.ports.nats, timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        self.suite.stop()

    def _stop(self, name: str, grace: float = 10.0) -> None:
        process = self.suite.processes[name]
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.restarts[name] = self.restarts.get(name, 0) + 1

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.suite.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.suite.log_dir / f"{name}.log", "ab") as log_file:
            self.suite.processes[name] = subprocess.Popen(
                args, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _wait(self, name: str, component: Component, address: str, timeout: float) -> None:
        process = self.suite.processes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.suite.tail_log(name)}")
            if component_healthy(component, address):
                return
            time.sleep(0.2)
        raise TimeoutError(f"{name} did not become healthy within {timeout:.0f}s")


def start_cluster(
    data_dir: Path, env: dict[str, str], compiler_replicas: int, timeout: float = 120.0
) -> Cluster:
    """The suite on free loopback ports with `env` for every component (and a Prometheus
    endpoint for each gRPC service), plus `compiler_replicas - 1` extra compiler replicas."""
    # One block for the suite's six ports and the four metrics ports, so no two can collide.
    base = free_port_block(6 + len(GRPC_SERVICES))
    ports = SuitePorts.from_environ({}, base_port=base)
    metrics_ports = {c.name: base + 6 + i for i, c in enumerate(GRPC_SERVICES)}
    env = {**env, **{f"{c.env_prefix}_METRICS_PORT": str(metrics_ports[c.name]) for c in GRPC_SERVICES}}
    suite = Suite(ports=ports, data_dir=data_dir, extra_env=env)
    suite.start(timeout=timeout)
    cluster = Cluster(
        suite=suite, replicas={"compiler": ports.address(COMPILER.name)}, metrics_ports=metrics_ports
    )
    try:
        for index in range(1, compiler_replicas):
            cluster.add_compiler_replica(index, timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_for_tcp(host: str, port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port}")
