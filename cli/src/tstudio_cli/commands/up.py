"""`tstudio up`: start nats-server and every service, stop them all on Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from tstudio_cli.suite import COMPONENTS, Suite, SuitePorts


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


def suite_from_args(args: argparse.Namespace) -> Suite:
    ports = SuitePorts.from_environ(os.environ, base_port=args.base_port)
    return Suite(ports=ports, data_dir=args.data_dir.resolve(), with_nats=not args.no_nats)


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
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    suite = suite_from_args(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        suite.start()
    except (RuntimeError, TimeoutError) as exc:
        print(f"tstudio up: {exc}", file=sys.stderr)
        return 1
    print("Timeline Studio backend is up:\n" + describe(suite), flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(1.0):
            dead = [name for name, proc in suite.processes.items() if proc.poll() is not None]
            if dead:
                print(
                    f"tstudio up: {', '.join(dead)} stopped unexpectedly; see {suite.log_dir}",
                    file=sys.stderr,
                )
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping...", file=sys.stderr, flush=True)
        suite.stop()
    return 0
