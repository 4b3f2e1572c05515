"""Faults injected while the load runs. Each fires on a trigger tied to the work rather than to
the clock, so it lands inside the load however fast or busy this machine is: media and NATS
restarts when a share of the media requests has started, the replica kill as soon as that replica
has accepted its render jobs (it then holds queued and running jobs: tiny renders end in well under
a second each, so waiting longer would kill an idle replica)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from soak.cluster import Cluster

log = logging.getLogger(__name__)

FAULTS = ("media", "compiler", "nats")
# Share of the load's requests started when the restarts fire.
LOAD_SHARE = {"media": 0.15, "nats": 0.45}


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
    triggers: dict[str, Callable[[], Awaitable[object]]],
    actions: dict[str, Callable[[], float]],
    started: float,
) -> list[FaultRecord]:
    """Fire each fault of `triggers` once its trigger returns (in a thread: the actions block on
    processes); faults whose triggers come together run side by side, as real ones would."""

    async def fire(name: str) -> FaultRecord:
        await triggers[name]()
        record = FaultRecord(name=name, at=time.monotonic() - started)
        try:
            record.recovery = await asyncio.to_thread(actions[name])
        except Exception as exc:  # a fault that could not be made is reported, not hidden
            record.error = f"{type(exc).__name__}: {exc}"
            log.error("fault %s failed: %s", name, record.error)
        return record

    records = await asyncio.gather(*(fire(name) for name in triggers))
    return sorted(records, key=lambda r: r.at)
