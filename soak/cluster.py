"""The suite under test: `tstudio_cli.suite.Suite` plus what chaos needs (extra compiler replicas,
restarting media and nats-server on the same ports, SIGKILL of a replica)."""

from __future__ import annotations

import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from svckit.testing import free_port, free_port_block
from tstudio_cli.suite import GATEWAY, GRPC_SERVICES, PORTS_PER_SUITE, Suite, SuitePorts

log = logging.getLogger(__name__)

COMPILER = next(c for c in GRPC_SERVICES if c.name == "compiler")
MEDIA = next(c for c in GRPC_SERVICES if c.name == "media")


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
        self.suite.spawn(name, [sys.executable, "-m", COMPILER.module], env)
        self.suite.wait_healthy(name, COMPILER, address, time.monotonic() + timeout)
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
        return self._restart(MEDIA.name, timeout)

    def restart_nats(self, timeout: float = 20.0) -> float:
        """SIGTERM nats-server and start it again on the same port and JetStream store."""
        return self._restart("nats", timeout)

    def stop(self) -> None:
        self.suite.stop()

    def _restart(self, name: str, timeout: float) -> float:
        started = time.monotonic()
        self.suite.restart(name, timeout)
        self.restarts[name] = self.restarts.get(name, 0) + 1
        return time.monotonic() - started


def start_cluster(
    data_dir: Path, env: dict[str, str], compiler_replicas: int, timeout: float = 120.0
) -> Cluster:
    """The suite on free loopback ports with `env` for every component (and a Prometheus
    endpoint for each gRPC service), plus `compiler_replicas - 1` extra compiler replicas."""
    # One block for the suite's own ports and the four metrics ports, so no two can collide.
    base = free_port_block(PORTS_PER_SUITE + len(GRPC_SERVICES))
    ports = SuitePorts.from_environ({}, base_port=base)
    metrics_ports = {c.name: base + PORTS_PER_SUITE + i for i, c in enumerate(GRPC_SERVICES)}
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
