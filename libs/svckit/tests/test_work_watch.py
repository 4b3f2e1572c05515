"""Stuck blocking work turns gRPC health NOT_SERVING, and SERVING again once it moves (issue 15,
item 1): a real grpc.aio server on port 0 and its real health service."""

from __future__ import annotations

import asyncio
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from svckit.executor import BlockingExecutor
from svckit.server import create_server
from svckit.settings import ServiceSettings
from svckit.work_watch import WorkWatch, beat

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def wait_for_status(stub: health_pb2_grpc.HealthStub, wanted: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = await stub.Check(health_pb2.HealthCheckRequest())
        if reply.status == wanted:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_health_is_not_serving_while_a_worker_is_stuck_and_serving_after() -> None:
    watch = WorkWatch(stuck_after=0.3)
    executor = BlockingExecutor(2, "watched", watch)
    handle = create_server(ServiceSettings(port=0), [], service="watched")
    handle.watch_health(watch.stuck, interval=0.05)
    await handle.start()
    await handle.set_serving(True)
    release = threading.Event()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{handle.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            assert (await health.Check(health_pb2.HealthCheckRequest())).status == SERVING

            def beating() -> None:  # long but alive: not stuck
                while not release.is_set():
                    beat()
                    time.sleep(0.02)

            def blocked() -> None:  # a read that never returns
                release.wait(30)

            alive = asyncio.ensure_future(executor.run(beating))
            await asyncio.sleep(0.6)
            assert watch.stuck() == []
            assert (await health.Check(health_pb2.HealthCheckRequest())).status == SERVING
            stuck = asyncio.ensure_future(executor.run(blocked))
            assert await wait_for_status(health, NOT_SERVING)
            assert [s.split(" for ")[0] for s in watch.stuck()] == [
                "test_health_is_not_serving_while_a_worker_is_stuck_and_serving_after.<locals>.blocked"
            ]
            release.set()
            await asyncio.gather(alive, stuck)
            assert await wait_for_status(health, SERVING)
    finally:
        release.set()
        await handle.stop(0)
        executor.shutdown()
