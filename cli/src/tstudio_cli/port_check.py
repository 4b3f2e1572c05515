"""Which of a suite's ports are taken, checked before anything is started."""

from __future__ import annotations

import socket
from collections.abc import Mapping


def busy_ports(host: str, ports: Mapping[str, int]) -> dict[str, int]:
    """The named ports something already listens on (or that cannot be bound) on `host`."""
    busy: dict[str, int] = {}
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # SO_REUSEADDR: a port in TIME_WAIT after a previous suite is free; a listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                busy[name] = port
    return busy


def describe_busy(busy: Mapping[str, int]) -> str:
    """`ports in use: 50051 (compiler), 8080 (gateway)` and what to do about it."""
    listed = ", ".join(f"{port} ({name})" for name, port in busy.items())
    return (
        f"ports in use: {listed}. Another suite may be running (`tstudio doctor` shows it; stop it with "
        "Ctrl-C in its terminal), or choose other ports with --base-port N"
    )
