"""A render worker process with the test-pattern renderer: a stand-in replica for tests that
SIGKILL one mid-task and for benchmarks of N replicas, until the engine's worker exists.

    python -m tstudio_compiler.scale.pattern_worker NATS_URL WORK_DIR WORKER_ID [ACK_WAIT]

Prints "ready" once it pulls; SIGTERM finishes the task in hand and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from svckit.bus import NatsBus

from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue, QueueConfig
from tstudio_compiler.scale.adapters.jetstream_worker import RenderWorker
from tstudio_compiler.scale.adapters.pattern_renderer import PatternSegmentRenderer
from tstudio_compiler.scale.adapters.pyav_joiner import RemuxJoiner


async def work(url: str, work_dir: str, worker_id: str, ack_wait: float) -> None:
    bus = await NatsBus.connect(url, name=worker_id)
    queue = JetStreamRenderQueue(bus, QueueConfig(work_dir=work_dir, ack_wait=ack_wait))
    await queue.start()
    worker = RenderWorker(queue, PatternSegmentRenderer(), RemuxJoiner(), worker_id, heartbeat=ack_wait / 4)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await worker.run(stop, fetch_timeout=0.5)
    await bus.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("nats_url")
    parser.add_argument("work_dir")
    parser.add_argument("worker_id")
    parser.add_argument("ack_wait", type=float, nargs="?", default=30.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(work(args.nats_url, args.work_dir, args.worker_id, args.ack_wait))


if __name__ == "__main__":
    main()
