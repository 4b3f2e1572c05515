"""`tstudio up`: start nats-server and every service, keep them running, stop them all on Ctrl-C.

Refuses to start over busy ports (naming them); records the suite in the state file every other
command reads (`tstudio_cli.endpoints`); a component that dies is started again with back-off while
the others keep serving (`tstudio_cli.supervisor`). Paths in requests are limited to the allowed
roots: by default your home and the folder `tstudio up` runs in (the project's folder), which is
also the base folder of relative paths in requests that carry no `baseDir`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from tstudio_cli.endpoints import clear_state, write_state
from tstudio_cli.port_check import busy_ports, describe_busy
from tstudio_cli.suite import COMPONENTS, Suite, SuitePorts
from tstudio_cli.supervisor import Supervisor

# The services that check request paths against <PREFIX>_ALLOWED_ROOTS.
ROOTED_SERVICES = ("COMPILER", "MEDIA", "RECOGNITION")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("up", help="start NATS and all services (Ctrl-C stops them)")
    add_suite_arguments(parser)
    parser.set_defaults(func=run)


def add_suite_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, default=Path(".tstudio"), help="state, caches and logs (default .tstudio)"
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="use consecutive ports from here instead of the defaults (compiler, media, recognition, "
        "security, gateway, NATS)",
    )
    parser.add_argument("--no-nats", action="store_true", help="use the in-process event bus in each service")
    parser.add_argument(
        "--allow-root",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="also allow paths under DIR (repeatable; default roots: your home and the current folder)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render in one pass (COMPILER_SEGMENT_CACHE_BYTES=0); by default the segment cache takes "
        "min(10 GB, 10%% of free space) so a re-render after an edit re-encodes only what changed",
    )
    parser.add_argument(
        "--open-roots",
        action="store_true",
        help="allow every path on this machine (not recommended: anyone with a token reads any file)",
    )


def allowed_roots(args: argparse.Namespace) -> list[str]:
    """Home, the current folder and --allow-root folders; [] with --open-roots."""
    if args.open_roots:
        return []
    roots = [Path.home(), Path.cwd(), *args.allow_root]
    unique: list[str] = []
    for root in roots:
        text = str(root.expanduser().resolve())
        if text not in unique:
            unique.append(text)
    return unique


def suite_from_args(args: argparse.Namespace) -> Suite:
    ports = SuitePorts.from_environ(os.environ, base_port=args.base_port)
    suite = Suite(ports=ports, data_dir=args.data_dir.resolve(), with_nats=not args.no_nats)
    roots = ",".join(allowed_roots(args))
    for prefix in ROOTED_SERVICES:
        # A value set in the environment is the operator's choice and wins.
        if f"{prefix}_ALLOWED_ROOTS" not in os.environ:
            suite.extra_env[f"{prefix}_ALLOWED_ROOTS"] = roots
        # Relative paths in requests without a baseDir: the folder `tstudio up` runs in.
        if f"{prefix}_BASE_DIR" not in os.environ:
            suite.extra_env[f"{prefix}_BASE_DIR"] = str(Path.cwd())
    if args.no_cache:
        suite.extra_env["COMPILER_SEGMENT_CACHE_BYTES"] = "0"
    return suite


def roots_line(suite: Suite) -> str:
    roots = {
        suite.extra_env.get(f"{p}_ALLOWED_ROOTS", os.environ.get(f"{p}_ALLOWED_ROOTS", ""))
        for p in ROOTED_SERVICES
    }
    if roots == {""}:
        return "WARNING: no allowed roots: every file on this machine is readable through the suite"
    return "allowed roots: " + " | ".join(sorted(r.replace(",", ", ") for r in roots if r))


def refuse_busy_ports(suite: Suite, command: str) -> bool:
    """Print which ports are taken and return True when any is."""
    wanted = {c.name: suite.ports.ports[c.name] for c in COMPONENTS}
    wanted["video http"] = suite.ports.media_http
    if suite.with_nats:
        wanted["nats"] = suite.ports.nats
    busy = busy_ports(suite.host, wanted)
    if busy:
        print(f"{command}: {describe_busy(busy)}", file=sys.stderr)
    return bool(busy)


def describe(suite: Suite) -> str:
    lines = [f"  {'nats':<12} {suite.nats_url or 'in-process'}"]
    for component in COMPONENTS:
        scheme = "http://" if component.http else ""
        lines.append(f"  {component.name:<12} {scheme}{suite.ports.address(component.name)}")
    lines.append(f"  {'video http':<12} http://{suite.host}:{suite.ports.media_http}")
    lines.append(f"  {'logs':<12} {suite.log_dir}")
    token = suite.dev_token()
    if token:
        lines.append(
            f"  {'dev token':<12} {token}   (Authorization: Bearer ...; tstudio invoke reads it itself)"
        )
    lines.append(f"  {roots_line(suite)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    suite = suite_from_args(args)
    if refuse_busy_ports(suite, "tstudio up"):
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        suite.start()
    except (RuntimeError, TimeoutError) as exc:
        print(f"tstudio up: {exc}", file=sys.stderr)
        return 1
    state = write_state(suite)
    print("Timeline Studio backend is up:\n" + describe(suite), flush=True)
    print(f"  {'state file':<12} {state}   (every tstudio command finds the suite through it)", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    supervisor = Supervisor(suite, say=lambda line: print(line, file=sys.stderr, flush=True))
    try:
        while not stop.wait(1.0):
            if supervisor.tick():
                write_state(suite, state)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping...", file=sys.stderr, flush=True)
        clear_state(state)
        suite.stop()
    return 0
