"""Where the suite is: one answer for every `tstudio` command.

`tstudio up` records the suite it started in a state file (`$XDG_STATE_HOME/tstudio/suite.json`,
by default `~/.local/state/tstudio/suite.json`; `TSTUDIO_STATE_FILE` names another). Every command
reads its addresses from, first to last:

1. its flags: `--compiler HOST:PORT`, `--media HOST:PORT`, `--gateway URL`, `--token T`, `--base-port N`;
2. the variables `TSTUDIO_COMPILER`, `TSTUDIO_MEDIA`, `TSTUDIO_RECOGNITION`, `TSTUDIO_SECURITY`,
   `TSTUDIO_GATEWAY`, `TSTUDIO_TOKEN`;
3. the state file of a running `tstudio up` (its dev token included);
4. the default ports (compiler 50051, media 50052, recognition 50053, security 50054, gateway 8080).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tstudio_cli.suite import COMPONENTS, GATEWAY, MEDIA_HTTP_DEFAULT_PORT, Suite, SuitePorts

GRPC_NAMES = ("compiler", "media", "recognition", "security")
START_HINT = "start the suite with `tstudio up` (or point at one with --{flag} / TSTUDIO_{var})"


def state_file(environ: Mapping[str, str] = os.environ) -> Path:
    """The state file `tstudio up` writes and every command reads."""
    if environ.get("TSTUDIO_STATE_FILE"):
        return Path(environ["TSTUDIO_STATE_FILE"])
    base = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "tstudio" / "suite.json"


@dataclass
class Endpoints:
    compiler: str
    media: str
    recognition: str
    security: str
    gateway: str  # a base URL
    media_http: str
    token: str = ""
    # Where each address came from, for messages: "--compiler", "TSTUDIO_COMPILER", the state file, ...
    sources: dict[str, str] = field(default_factory=dict)

    def unreachable(self, name: str) -> str:
        """A refused connection explained, with how to start the suite."""
        address = getattr(self, name)
        hint = START_HINT.format(flag=name, var=name.upper())
        return f"cannot reach the {name} at {address} ({self.sources.get(name, 'default')}): {hint}"


def add_endpoint_arguments(
    parser: argparse.ArgumentParser, *names: str, aliases: Mapping[str, list[str]] | None = None
) -> None:
    """The flags of the named endpoints (and --base-port, --token for the gateway); `aliases` keeps
    older spellings (`render --server`, `plugin --address`) working."""
    for name in names:
        if name == "gateway":
            parser.add_argument(
                "--gateway", default=None, help="gateway base URL (default: see `tstudio up`)"
            )
            parser.add_argument(
                "--token", default=None, help="bearer token (default $TSTUDIO_TOKEN or the dev token)"
            )
        else:
            parser.add_argument(
                f"--{name}",
                *(aliases or {}).get(name, []),
                dest=name,
                default=None,
                metavar="HOST:PORT",
                help=f"{name} service address (default: see `tstudio up`)",
            )
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="the ports of a suite started with `tstudio up --base-port N`",
    )


def write_state(suite: Suite, path: Path | None = None) -> Path:
    """Record a running suite for the other commands (written atomically)."""
    path = path or state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "host": suite.host,
        "ports": suite.ports.ports,
        "nats": suite.ports.nats,
        "media_http": suite.ports.media_http,
        "data_dir": str(suite.data_dir),
        "token_file": str(suite.data_dir / GATEWAY.name / "dev-token"),
        "processes": {name: process.pid for name, process in suite.processes.items()},
    }
    temp = path.with_name(path.name + f".{os.getpid()}.tmp")
    temp.write_text(json.dumps(state, indent=2))
    temp.replace(path)
    return path


def clear_state(path: Path | None = None) -> None:
    """Remove the state file if this process wrote it."""
    path = path or state_file()
    state = read_state(path)
    if state is not None and state.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def read_state(path: Path | None = None) -> dict[str, Any] | None:
    """The state of a running suite, or None (no file, unreadable, or its `tstudio up` is gone)."""
    path = path or state_file()
    try:
        state = json.loads(path.read_text())
        pid = int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    return state if isinstance(state, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resolve(args: argparse.Namespace | None = None, environ: Mapping[str, str] = os.environ) -> Endpoints:
    """Every address by the rules in this module's docstring."""
    flags = vars(args) if args is not None else {}
    path = state_file(environ)
    state = read_state(path)
    base_port = flags.get("base_port")
    if base_port:
        ports, host, origin = SuitePorts.from_environ({}, base_port=base_port), "127.0.0.1", "--base-port"
    elif state is not None:
        ports = SuitePorts(
            ports={c.name: int(state["ports"][c.name]) for c in COMPONENTS},
            nats=int(state.get("nats", 0)),
            media_http=int(state.get("media_http", MEDIA_HTTP_DEFAULT_PORT)),
        )
        host, origin = str(state.get("host", "127.0.0.1")), f"from {path}"
    else:
        ports, host, origin = SuitePorts.from_environ({}), "127.0.0.1", "default"
    found: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in (*GRPC_NAMES, "gateway"):
        variable = f"TSTUDIO_{name.upper()}"
        legacy = environ.get("TSTUDIO_COMPILER_ADDRESS") if name == "compiler" else None
        if flags.get(name):
            found[name], sources[name] = str(flags[name]), f"--{name}"
        elif environ.get(variable):
            found[name], sources[name] = environ[variable], variable
        elif legacy:
            found[name], sources[name] = legacy, "TSTUDIO_COMPILER_ADDRESS"
        else:
            address = ports.address(name, host)
            found[name] = f"http://{address}" if name == "gateway" else address
            sources[name] = origin
    gateway = found["gateway"] if "://" in found["gateway"] else f"http://{found['gateway']}"
    token = str(flags.get("token") or environ.get("TSTUDIO_TOKEN") or "")
    if not token and state is not None and sources["gateway"] == origin:
        token = _read_token(Path(str(state.get("token_file", ""))))
    return Endpoints(
        compiler=found["compiler"],
        media=found["media"],
        recognition=found["recognition"],
        security=found["security"],
        gateway=gateway.rstrip("/"),
        media_http=f"http://{host}:{ports.media_http}",
        token=token,
        sources=sources,
    )


def _read_token(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def describe(endpoints: Endpoints) -> dict[str, Any]:
    return asdict(endpoints)
