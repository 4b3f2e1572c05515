"""A render worker as its own OS process, for tests that SIGKILL one mid-task.

Usage: python worker_process.py NATS_URL WORK_DIR WORKER_ID ACK_WAIT
Prints "ready" once it is pulling; SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import nats
from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue, QueueConfig
from tstudio_compiler.scale.adapters.jetstream_worker import RenderWorker
from tstudio_compiler.scale.adapters.pattern_renderer import PatternSegmentRenderer
from tstudio_compiler.scale.adapters.pyav_joiner import RemuxJoiner


async def main(url: str, work_dir: str, worker_id: str, ack_wait: float) -> None:
    nc = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    queue = JetStreamRenderQueue(nc, QueueConfig(work_dir=work_dir, ack_wait=ack_wait))
    await queue.start()
    worker = RenderWorker(queue, PatternSegmentRenderer(), RemuxJoiner(), worker_id, heartbeat=ack_wait / 4)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await worker.run(stop, fetch_timeout=0.5)
    await nc.drain()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
