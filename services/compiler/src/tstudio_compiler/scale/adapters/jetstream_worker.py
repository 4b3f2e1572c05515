"""A render worker: pulls segment tasks from the JetStream work queue, renders them, records them in
the job state, and — when it recorded a job's last segment — joins the job.

While it works on a task it sends in-progress acks, so a slow segment is not redelivered; a worker
killed mid-task stops sending them and the task comes back after `ack_wait`. A task is acked only
after its outcome is in the KV state, so every step is safe to repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nats.errors
from svckit.errors import ServiceError

from tstudio_compiler.scale.adapters.caching_renderer import render_with_cache
from tstudio_compiler.scale.adapters.jetstream_queue import TRANSIENT_ERRORS, JetStreamRenderQueue
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.domain import job_state as js_state
from tstudio_compiler.scale.domain.job_state import JobState, JobStatus, Transition
from tstudio_compiler.scale.domain.render_ports import Joiner, SegmentRenderer, SegmentSpec, SegmentTask

log = logging.getLogger(__name__)


class RenderWorker:
    def __init__(
        self,
        queue: JetStreamRenderQueue,
        renderer: SegmentRenderer,
        joiner: Joiner,
        worker_id: str,
        heartbeat: float | None = None,
        cache: SegmentCache | None = None,
        on_change: Callable[[JobState], Awaitable[None]] | None = None,
    ) -> None:
        self.queue = queue
        # Hears every state this worker wrote (progress and completion events); errors are its own.
        self.on_change = on_change
        self.cache = cache
        self.renderer = renderer
        self.joiner = joiner
        self.worker_id = worker_id
        self.heartbeat = heartbeat if heartbeat is not None else max(queue.config.ack_wait / 3, 0.1)
        # Seconds between looks at a job's state while one of its segments renders.
        self.cancel_poll = 0.5
        self.segments_rendered = 0
        self.segments_reused = 0
        self.jobs_joined = 0
        self._subscription: Any = None

    async def _pull(self) -> Any:
        if self._subscription is None:
            cfg = self.queue.config
            self._subscription = await self.queue.js.pull_subscribe_bind(
                durable=cfg.consumer, stream=cfg.tasks_stream
            )
        return self._subscription

    async def run(self, stop: asyncio.Event, fetch_timeout: float = 1.0) -> None:
        """Work until `stop` is set; a task in hand is finished (or left to redelivery) first."""
        try:
            await self._work(stop, fetch_timeout)
        finally:
            await self.close()

    async def close(self) -> None:
        """Drop the pull subscription, so draining the connection afterwards does not wait on it."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _work(self, stop: asyncio.Event, fetch_timeout: float) -> None:
        while not stop.is_set():
            try:
                await self.run_once(fetch_timeout)
            except asyncio.CancelledError:
                raise
            except TRANSIENT_ERRORS as exc:
                log.info("worker %s: NATS not ready (%s)", self.worker_id, type(exc).__name__)
                await asyncio.sleep(0.2)
            except Exception:
                log.exception("worker %s: unexpected error; continuing", self.worker_id)
                await asyncio.sleep(0.2)

    async def run_once(self, fetch_timeout: float = 1.0) -> bool:
        """Take and process at most one task; False when none came within `fetch_timeout`."""
        subscription = await self._pull()
        try:
            messages = await subscription.fetch(1, timeout=fetch_timeout)
        except nats.errors.TimeoutError:
            return False
        for msg in messages:
            await self._handle(msg)
        return bool(messages)

    async def _handle(self, msg: Any) -> None:
        try:
            body = json.loads(msg.data)
            segment = SegmentSpec(int(body["index"]), str(body["key"]), dict(body.get("description") or {}))
            task = SegmentTask(
                job_id=str(body["job_id"]),
                segment=segment,
                work_dir=self.queue.config.work_dir,
                delivery=int(msg.metadata.num_delivered),
                use_cache=bool(body.get("use_cache", True)),
            )
        except (ValueError, KeyError, TypeError):
            log.error("worker %s: dropping an unreadable task message", self.worker_id)
            await msg.term()
            return
        try:
            async with self._keep_alive(msg):
                await self._process(task)
        except TRANSIENT_ERRORS:
            raise  # NATS went away: the task is redelivered and resumes where the state says
        except Exception as exc:
            if task.delivery < self.queue.config.max_deliver:
                log.exception(
                    "worker %s: task %s/%d crashed; it will be retried",
                    self.worker_id,
                    task.job_id,
                    task.segment.index,
                )
                await msg.nak(delay=1.0)
                return
            log.exception(
                "worker %s: task %s/%d crashed on its last delivery",
                self.worker_id,
                task.job_id,
                task.segment.index,
            )
            reason = f"segment {task.segment.index} failed {task.delivery} times: {type(exc).__name__}"
            await self._apply(task.job_id, lambda s: js_state.fail(s, reason, time.time()))
        await self.queue.retrying(msg.ack_sync)

    @contextlib.asynccontextmanager
    async def _keep_alive(self, msg: Any) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                await asyncio.sleep(self.heartbeat)
                try:
                    await msg.in_progress()
                except Exception as exc:  # a missed beat only risks a redelivery, which is safe
                    log.debug("in-progress ack failed: %s", exc)

        beater = asyncio.create_task(beat())
        try:
            yield
        finally:
            beater.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beater

    async def _process(self, task: SegmentTask) -> None:
        state = await self.queue.get(task.job_id)
        if state is None:
            log.warning("worker %s: task for unknown job %s dropped", self.worker_id, task.job_id)
            return
        if state.status.finished:
            if state.status is not JobStatus.SUCCEEDED:
                await self._discard(task.job_id)
            return
        index = task.segment.index
        if state.status is JobStatus.QUEUED:
            state = (await self.queue.transact(task.job_id, js_state.start)).state
        if index not in state.done:
            started = time.monotonic()
            log.debug("worker %s: job %s segment %d started", self.worker_id, task.job_id, index)
            try:
                async with self._stopping_when_finished(task):
                    path, reused = await render_with_cache(self.renderer, self.cache, task)
            except ServiceError as exc:
                # The segment cannot be rendered (bad input, engine refusal): the job fails, clearly.
                log.warning(
                    "worker %s: job %s segment %d failed: %s", self.worker_id, task.job_id, index, exc
                )
                reason = f"segment {index}: {exc.message}"
                code, why = exc.code.value, exc.reason
                await self._apply(task.job_id, lambda s: js_state.fail(s, reason, time.time(), code, why))
                await self._discard(task.job_id)
                return
            log.debug(
                "worker %s: job %s segment %d %s in %.2fs",
                self.worker_id,
                task.job_id,
                index,
                "reused" if reused else "rendered",
                time.monotonic() - started,
            )
            if reused:
                self.segments_reused += 1
            else:
                self.segments_rendered += 1
            transition = await self._apply(
                task.job_id, lambda s: js_state.record_segment(s, index, str(path), self.worker_id, reused)
            )
            state = transition.state
        # Whoever recorded the last segment joins; a redelivery of that same task (its worker died
        # mid-join, or lost its ack) takes the join over. Other tasks never do.
        if state.status is JobStatus.JOINING and state.join_segment == index:
            if state.joiner != self.worker_id:
                state = (
                    await self.queue.transact(
                        task.job_id, lambda s: js_state.take_over_join(s, index, self.worker_id)
                    )
                ).state
            if state.status is JobStatus.JOINING and state.joiner == self.worker_id:
                await self._join(task.job_id)

    @contextlib.asynccontextmanager
    async def _stopping_when_finished(self, task: SegmentTask) -> AsyncIterator[None]:
        """While the segment renders, watch its job: once it is cancelled (or failed by another
        segment) set the task's flag, so the renderer stops instead of finishing wasted work."""

        async def watch() -> None:
            while True:
                await asyncio.sleep(self.cancel_poll)
                try:
                    state = await self.queue.get(task.job_id)
                except Exception as exc:  # an outage only delays noticing the cancel
                    log.debug("job state unavailable: %s", exc)
                    continue
                if state is None or state.status.finished:
                    task.cancelled.set()
                    return

        watcher = asyncio.create_task(watch())
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _join(self, job_id: str) -> None:
        state = await self.queue.require(job_id)
        spec = await self.queue.job_spec(job_id)
        started = time.monotonic()
        try:
            result = await self.joiner.join(spec, [Path(p) for p in state.segment_paths()])
        except ServiceError as exc:
            log.warning("worker %s: join of job %s failed: %s", self.worker_id, job_id, exc)
            reason = f"join: {exc.message}"
            code, why = exc.code.value, exc.reason
            await self._apply(job_id, lambda s: js_state.fail(s, reason, time.time(), code, why))
            await self._discard(job_id)
            return
        result = {
            **result,
            "segments_total": state.segments_total,
            "segments_reused": state.segments_reused,
            "join_seconds": time.monotonic() - started,
            "joined_by": self.worker_id,
        }
        outcome = await self._apply(job_id, lambda s: js_state.succeed(s, result, time.time()))
        if not outcome.changed and outcome.state.status is JobStatus.CANCELLED:
            # Cancelled while joining: a cancelled job leaves no output behind.
            await asyncio.to_thread(Path(spec.output_path).unlink, True)
            log.info(
                "worker %s: job %s was cancelled during its join; output removed", self.worker_id, job_id
            )
        # The segments live on in the cache (when there is one); the job's working copies go.
        job_dir = Path(self.queue.config.work_dir) / job_id
        await asyncio.to_thread(shutil.rmtree, job_dir, True)
        self.jobs_joined += 1
        log.info("worker %s joined job %s", self.worker_id, job_id)

    async def _discard(self, job_id: str) -> None:
        """A job that failed or was cancelled keeps none of its segments on shared storage."""
        await asyncio.to_thread(shutil.rmtree, Path(self.queue.config.work_dir) / job_id, True)

    async def _apply(self, job_id: str, change: Callable[[JobState], Transition]) -> Transition:
        transition = await self.queue.transact(job_id, change)
        if transition.changed and self.on_change is not None:
            try:
                await self.on_change(transition.state)
            except Exception:
                log.warning("worker %s: job %s change listener failed", self.worker_id, job_id, exc_info=True)
        return transition
