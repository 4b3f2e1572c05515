"""Faults injected while the load runs. Each fires when a share of the media requests has been
started (so it lands inside the load however fast this machine is), or when the load ends."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from soak.cluster import Cluster

log = logging.getLogger(__name__)

FAULTS = ("media", "compiler", "nats")
# Share of the load's requests started when each fault fires.
WHEN = {"media": 0.15, "compiler": 0.3, "nats": 0.45}


@dataclass
class FaultRecord:
    name: str
    # Seconds after the load started.
    at: float
    # Seconds until the process was back (0 for a kill): stop, start, listening/serving again.
    recovery: float = 0.0
    error: str = ""


def fault_actions(cluster: Cluster) -> dict[str, Callable[[], float]]:
    return {
        "media": cluster.restart_media,
        "compiler": lambda: _kill_extra_replica(cluster),
        "nats": cluster.restart_nats,
    }


def _kill_extra_replica(cluster: Cluster) -> float:
    extras = [name for name in cluster.replicas if name != "compiler"]
    if not extras:
        raise RuntimeError("only one compiler replica runs; start the soak with --replicas 2 or more")
    cluster.kill(extras[-1])
    return 0.0


async def inject(
    faults: tuple[str, ...],
    actions: dict[str, Callable[[], float]],
    reached: Callable[[float], Awaitable[None]],
    started: float,
) -> list[FaultRecord]:
    """Fire each fault in `faults` once `reached(share)` returns, one after another (in a thread:
    the actions block on processes)."""
    records = []
    for name in sorted(faults, key=WHEN.__getitem__):
        await reached(WHEN[name])
        record = FaultRecord(name=name, at=time.monotonic() - started)
        try:
            record.recovery = await asyncio.to_thread(actions[name])
        except Exception as exc:  # a fault that could not be made is reported, not hidden
            record.error = f"{type(exc).__name__}: {exc}"
            log.error("fault %s failed: %s", name, record.error)
        records.append(record)
    return records
