"""Runs the whole suite as separate processes: nats-server, the four services and the gateway.

Each service is started the way a container would start it (`python -m tstudio_<name>` with its
`<PREFIX>_*` environment), so `tstudio up` exercises the same start-up path as a deployment.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from svckit.testing import nats_server_binary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Component:
    name: str
    module: str
    env_prefix: str
    default_port: int
    # gRPC services are checked through grpc.health.v1; the gateway through GET /healthz.
    http: bool = False


GRPC_SERVICES = (
    Component("compiler", "tstudio_compiler", "COMPILER", 50051),
    Component("media", "tstudio_media", "MEDIA", 50052),
    Component("recognition", "tstudio_recognition", "RECOGNITION", 50053),
    Component("security", "tstudio_security", "SECURITY", 50054),
)
GATEWAY = Component("gateway", "tstudio_gateway", "GATEWAY", 8080, http=True)
COMPONENTS = (*GRPC_SERVICES, GATEWAY)
NATS_DEFAULT_PORT = 4222


MEDIA_HTTP_DEFAULT_PORT = 8081
# With --base-port N the suite takes N .. N+PORTS_PER_SUITE-1: the components, NATS, media's HTTP.
PORTS_PER_SUITE = len(COMPONENTS) + 2


@dataclass
class SuitePorts:
    ports: dict[str, int]
    nats: int
    # The media service's HTTP range video server.
    media_http: int = MEDIA_HTTP_DEFAULT_PORT

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], base_port: int | None = None) -> SuitePorts:
        """Default ports, each overridable by `<PREFIX>_PORT` (and `NATS_PORT`), or consecutive
        ports from `base_port` (handy for running a second suite beside the first)."""
        if base_port:
            ports = {c.name: base_port + i for i, c in enumerate(COMPONENTS)}
            return cls(
                ports=ports, nats=base_port + len(COMPONENTS), media_http=base_port + len(COMPONENTS) + 1
            )
        ports = {c.name: int(environ.get(f"{c.env_prefix}_PORT", c.default_port)) for c in COMPONENTS}
        return cls(
            ports=ports,
            nats=int(environ.get("NATS_PORT", NATS_DEFAULT_PORT)),
            media_http=int(environ.get("MEDIA_HTTP_PORT", MEDIA_HTTP_DEFAULT_PORT)),
        )

    def address(self, name: str, host: str = "127.0.0.1") -> str:
        return f"{host}:{self.ports[name]}"


@dataclass
class Suite:
    ports: SuitePorts
    data_dir: Path
    host: str = "127.0.0.1"
    with_nats: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def nats_url(self) -> str:
        return f"nats://{self.host}:{self.ports.nats}" if self.with_nats else ""

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def start(self, timeout: float = 180.0) -> None:
        """Start everything and wait until each component reports healthy."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.with_nats:
                self._start_nats()
            for component in COMPONENTS:
                self._start_component(component)
            deadline = time.monotonic() + timeout
            for component in COMPONENTS:
                address = self.ports.address(component.name, self.host)
                self.wait_healthy(component.name, component, address, deadline)
        except BaseException:
            self.stop()
            raise

    def _start_nats(self) -> None:
        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        args = [nats_server_binary(), "-js", "-sd", str(store), "-a", self.host, "-p", str(self.ports.nats)]
        self.spawn("nats", args, os.environ.copy())
        _wait_for_tcp(self.host, self.ports.nats, 10.0, self.processes["nats"], "nats-server")

    def restart(self, name: str, timeout: float = 180.0) -> None:
        """Stop one component (or "nats") with SIGTERM and start it again on the same port."""
        process = self.processes.get(name)
        if process is not None:
            _terminate(process)
            _wait_or_kill(process, time.monotonic() + 10.0)
        if name == "nats":
            self._start_nats()
            return
        component = next(c for c in COMPONENTS if c.name == name)
        self._start_component(component)
        self.wait_healthy(name, component, self.ports.address(name, self.host), time.monotonic() + timeout)

    def start_component(self, name: str) -> None:
        """Start one component (or "nats") that is not running, without waiting for its health."""
        if name == "nats":
            self._start_nats()
            return
        self._start_component(next(c for c in COMPONENTS if c.name == name))

    def component_env(self, component: Component) -> dict[str, str]:
        prefix = component.env_prefix
        env = os.environ.copy()
        env.update(
            {
                f"{prefix}_HOST": self.host,
                f"{prefix}_PORT": str(self.ports.ports[component.name]),
                f"{prefix}_NATS_URL": self.nats_url,
                f"{prefix}_DATA_DIR": str(self.data_dir / component.name),
                "OTEL_SERVICE_NAME": f"tstudio-{component.name}",
            }
        )
        if component.name == "media":
            env["MEDIA_HTTP_PORT"] = str(self.ports.media_http)
        if component is GATEWAY:
            for service in GRPC_SERVICES:
                env[f"GATEWAY_{service.env_prefix}_ADDR"] = self.ports.address(service.name, self.host)
        env.update(self.extra_env)
        return env

    def _start_component(self, component: Component) -> None:
        self.spawn(component.name, [sys.executable, "-m", component.module], self.component_env(component))

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        """Start a child process of the suite, logging to `<log_dir>/<name>.log`."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{name}.log", "ab") as log_file:
            self.processes[name] = subprocess.Popen(
                args, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        log.info("started %s (pid %d)", name, self.processes[name].pid)

    def wait_healthy(self, name: str, component: Component, address: str, deadline: float) -> None:
        """Wait until process `name`, a `component` listening on `address`, reports healthy."""
        process = self.processes[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {process.returncode}; "
                    f"see {self.log_dir / (name + '.log')}:\n{self.tail_log(name)}"
                )
            if component_healthy(component, address):
                return
            time.sleep(0.2)
        raise TimeoutError(f"{name} did not become healthy; see {self.log_dir}")

    def dev_token(self) -> str | None:
        """The gateway's development bearer token, when it made one (GATEWAY_DEV_TOKEN unset)."""
        path = self.data_dir / GATEWAY.name / "dev-token"
        return path.read_text().strip() if path.exists() else None

    def tail_log(self, name: str, lines: int = 20) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def check(self) -> dict[str, bool]:
        """Whether each component is alive and healthy now."""
        return {
            c.name: self.processes.get(c.name) is not None
            and self.processes[c.name].poll() is None
            and component_healthy(c, self.ports.address(c.name, self.host))
            for c in COMPONENTS
        }

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the services and wait for them, then NATS, so they can drain into it."""
        services = [name for name in self.processes if name != "nats"]
        for name in services:
            _terminate(self.processes[name])
        deadline = time.monotonic() + grace
        for name in services:
            _wait_or_kill(self.processes[name], deadline)
        if "nats" in self.processes:
            _terminate(self.processes["nats"])
            _wait_or_kill(self.processes["nats"], time.monotonic() + 5.0)
        self.processes.clear()


def component_healthy(component: Component, address: str, timeout: float = 1.0) -> bool:
    if component.http:
        try:
            with urllib.request.urlopen(f"http://{address}/healthz", timeout=timeout) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError):
            return False
    return grpc_health_status(address, timeout) == "SERVING"


def grpc_health_status(address: str, timeout: float = 1.0) -> str:
    """SERVING / NOT_SERVING / UNKNOWN, or UNREACHABLE."""
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
            return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
    except grpc.RpcError:
        return "UNREACHABLE"


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)


def _wait_or_kill(process: subprocess.Popen[bytes], deadline: float) -> None:
    try:
        process.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for_tcp(host: str, port: int, timeout: float, process: subprocess.Popen[bytes], name: str) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} (port {port} taken?)")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{name} did not listen on {host}:{port}")
