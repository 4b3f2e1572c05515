"""SIGTERM of a busy media process: calls in flight finish or get UNAVAILABLE, never CANCELLED."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sys
from pathlib import Path

import grpc
from svckit.healthcheck import wait_serving
from svckit.testing import free_port
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from .conftest import Media

CALLS = 300


async def test_sigterm_under_load_answers_unavailable_never_cancelled(media: Media, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MEDIA_PORT": str(port),
        "MEDIA_HTTP_PORT": "0",
        "MEDIA_DATA_DIR": str(tmp_path / "data"),
        # One worker and no cache: calls pile up inside the process, as under a soak.
        "MEDIA_MAX_WORKERS": "1",
        "MEDIA_CACHE_MAX_BYTES": "0",
        "MEDIA_GRACE_SECONDS": "20",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tstudio_media", env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_serving(f"127.0.0.1:{port}", timeout=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = media_pb2_grpc.MediaServiceStub(channel)
            calls = [
                asyncio.ensure_future(
                    stub.Thumbnail(
                        media_pb2.ThumbnailRequest(
                            path=str(media.video), time_seconds=(i % 60) / 30, width=96 + i % 5
                        )
                    )
                )
                for i in range(CALLS)
            ]
            # SIGTERM once the process is working through the burst.
            await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
            in_flight_at_term = sum(not call.done() for call in calls)
            process.send_signal(signal.SIGTERM)
            results = await asyncio.gather(*calls, return_exceptions=True)
        assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    outcomes = collections.Counter(
        r.code().name if isinstance(r, grpc.aio.AioRpcError) else type(r).__name__ for r in results
    )
    assert in_flight_at_term > 0
    assert set(outcomes) <= {"ThumbnailResponse", "UNAVAILABLE"}, outcomes
    assert outcomes["ThumbnailResponse"] > 0
