"""Runs one proxy transcode for CreateProxy: on the proxy workers, its progress relayed from the
worker thread to the stream and (throttled) to the bus, cancelled by CancelProxy or by the caller
going away, and never leaving a partial file behind an answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from svckit.errors import Cancelled, ServiceError
from tstudio.common.v1 import common_pb2
from tstudio.media.v1 import media_pb2

from tstudio_media.api import convert
from tstudio_media.domain.proxy_plan import ProxyPlan

if TYPE_CHECKING:
    from tstudio_media.server import MediaDeps

EVENT_EVERY_SECONDS = 0.5


class ProxyRunner:
    def __init__(self, deps: MediaDeps) -> None:
        self._deps = deps

    async def run(
        self, source: Path, output: Path, plan: ProxyPlan, job_id: str
    ) -> AsyncIterator[media_pb2.CreateProxyResponse]:
        deps = self._deps
        cancel = deps.jobs.start(job_id)
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue[tuple[float, float]] = asyncio.Queue()

        def report(done: float, total: float) -> None:  # called on the worker thread
            loop.call_soon_threadsafe(updates.put_nowait, (done, total))

        started = time.monotonic()
        work = asyncio.ensure_future(
            deps.proxy_executor.run(deps.proxies.transcode, source, output, plan, cancel, report)
        )
        last_event = 0.0
        try:
            # QUEUED until the transcode reports: it may wait for a free proxy worker.
            queued = convert.progress(common_pb2.STAGE_QUEUED, 0, 0)
            yield media_pb2.CreateProxyResponse(job_id=job_id, progress=queued)
            while True:
                getter = asyncio.ensure_future(updates.get())
                await asyncio.wait({work, getter}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                done, total = getter.result()
                elapsed = time.monotonic() - started
                speed = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / speed if speed > 0 and total > 0 else -1.0
                step = convert.progress(common_pb2.STAGE_RUNNING, done, total, speed, eta)
                if time.monotonic() - last_event >= EVENT_EVERY_SECONDS:
                    last_event = time.monotonic()
                    await deps.events.job_progress("proxy", job_id, step)
                yield media_pb2.CreateProxyResponse(job_id=job_id, progress=step)
            result = await work
        except BaseException as exc:
            # The caller went away or the transcode failed: stop the worker and wait for it, so
            # that its partial file is gone before anyone hears of the outcome.
            cancel.set()
            await asyncio.gather(work, return_exceptions=True)
            await asyncio.shield(self._failed(job_id, exc))
            raise
        finally:
            deps.jobs.finish(job_id)
        await deps.events.job_completed(
            "proxy",
            job_id,
            str(result.output),
            time.monotonic() - started,
            {"duration_seconds": f"{result.duration_seconds:.3f}"},
        )
        total = result.duration_seconds
        yield media_pb2.CreateProxyResponse(
            job_id=job_id,
            progress=convert.progress(common_pb2.STAGE_COMPLETED, total, total),
            output_path=str(result.output),
        )

    def already_done(self, job_id: str, output: Path) -> media_pb2.CreateProxyResponse:
        """The one reply for a proxy that already exists."""
        done = convert.progress(common_pb2.STAGE_COMPLETED, 1, 1, message="already made")
        return media_pb2.CreateProxyResponse(job_id=job_id, progress=done, output_path=str(output))

    async def _failed(self, job_id: str, exc: BaseException) -> None:
        cancelled = isinstance(exc, Cancelled | asyncio.CancelledError | GeneratorExit)
        if isinstance(exc, ServiceError):
            code, message = exc.code.value, exc.message
        else:
            code, message = ("CANCELLED", "cancelled") if cancelled else ("INTERNAL", "internal error")
        await self._deps.events.job_failed("proxy", job_id, code, message, cancelled)
