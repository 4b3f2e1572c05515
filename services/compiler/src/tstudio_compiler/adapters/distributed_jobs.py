"""`RenderJobs` on NATS JetStream (COMPILER_QUEUE=jetstream): a render's segments go on the work
queue every replica pulls from, its state lives in the KV bucket, so any replica answers for it and a
replica that dies loses nothing.

The submitting replica mixes the whole-timeline audio into the job's shared folder first (the joiner
muxes it beside the picture). Renders that cannot be split (webm/gif outputs, plugin effects) run in
this replica through the local path, as they would with the local queue.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from opentelemetry import context as otel_context
from svckit.errors import ServiceError
from svckit.telemetry import extract_context, inject_headers

from tstudio_compiler.adapters.segment_renderer import cached_audio, job_spec, source_fingerprints
from tstudio_compiler.adapters.segmented_renderer import splittable
from tstudio_compiler.domain.jobs import JobObserver, JobStatus, JobView
from tstudio_compiler.domain.ports import Blocking
from tstudio_compiler.domain.render_jobs import DiagnosticItems, LocalRenderJobs, RenderOrder
from tstudio_compiler.scale.adapters.jetstream_queue import JetStreamRenderQueue
from tstudio_compiler.scale.adapters.segment_cache import SegmentCache
from tstudio_compiler.scale.domain.job_state import JobState
from tstudio_compiler.scale.domain.job_view import JobMeta, job_view
from tstudio_compiler.scale.domain.render_ports import JobSpec

log = logging.getLogger(__name__)

_META_CACHED = 512


class DistributedRenderJobs:
    def __init__(
        self,
        queue: JetStreamRenderQueue,
        local: LocalRenderJobs,
        blocking: Blocking,
        events: JobObserver,
        cache: SegmentCache | None = None,
        list_limit: int = 200,
    ) -> None:
        self._queue = queue
        # The shared segment cache; the submitter takes an unchanged sound mix from it.
        self._cache = cache
        self._local = local
        self._blocking = blocking
        self._events = events
        self._list_limit = list_limit
        # Job metadata never changes once submitted: kept here instead of re-reading the job stream.
        self._meta: OrderedDict[str, JobMeta] = OrderedDict()

    async def submit(self, order: RenderOrder) -> JobView:
        if not splittable(order.plan, order.encode):
            log.info("render of %r cannot be split into segments; rendering it here", order.project_name)
            return await self._local.submit(order)
        job_id = uuid.uuid4().hex
        job_dir = Path(self._queue.config.work_dir) / job_id
        spec, meta = await self._blocking.run(self._prepare, order, job_id, job_dir)
        meta = replace(meta, trace_headers=tuple(inject_headers().items()))
        state = await self._queue.submit(
            spec.segments,
            spec.output_path,
            audio_path=spec.audio_path,
            client_key=order.client_key,
            metadata=meta.as_json(),
            use_cache=order.use_cache,
            job_id=job_id,
        )
        if state.job_id != job_id:
            # The client key named an earlier job: ours was never queued.
            await self._blocking.run(shutil.rmtree, job_dir, True)
        return await self.view(state)

    def _prepare(self, order: RenderOrder, job_id: str, job_dir: Path) -> tuple[JobSpec, JobMeta]:
        """Blocking: fingerprint the sources (the segment keys) and encode the audio mix."""
        plan, encode = order.plan, order.encode
        fingerprints = source_fingerprints(plan)
        audio = ""
        if encode.audio_encoder:
            job_dir.mkdir(parents=True, exist_ok=True)
            cache = self._cache if order.use_cache else None
            audio = str(cached_audio(plan, encode, job_dir / "audio.m4a", cache, fingerprints))
        meta = JobMeta(
            project_name=order.project_name,
            output_path=plan.output.path,
            video_encoder=encode.video_encoder,
            fallback_reason=encode.fallback_reason,
            segment_frames=tuple(s.frames for s in plan.segments),
        )
        return job_spec(plan, encode, job_id, audio, fingerprints), meta

    async def get(self, job_id: str) -> JobView:
        if self._local.knows(job_id):
            return await self._local.get(job_id)
        return await self.view(await self._queue.require(job_id))

    async def list(self, statuses: set[JobStatus] | None = None, limit: int = 0) -> list[JobView]:
        views = await self._local.list(statuses)
        states = sorted(await self._queue.states(), key=lambda s: s.created_at, reverse=True)
        for state in states[: self._list_limit]:
            view = await self.view(state)
            if not statuses or view.status in statuses:
                views.append(view)
        views.sort(key=lambda v: v.created_at, reverse=True)
        return views[:limit] if limit > 0 else views

    async def cancel(self, job_id: str) -> JobView:
        if self._local.knows(job_id):
            return await self._local.cancel(job_id)
        before = await self._queue.require(job_id)
        view = await self.view(await self._queue.cancel(job_id))
        if not before.status.finished:
            # Workers drop the job's remaining tasks and stop the segments in hand (within a poll).
            await self._blocking.run(shutil.rmtree, Path(self._queue.config.work_dir) / job_id, True)
            await self._events.finished(view)
        return view

    async def watch(self, job_id: str) -> AsyncIterator[JobView]:
        if self._local.knows(job_id):
            async for view in self._local.watch(job_id):
                yield view
            return
        async for state in self._queue.watch(job_id):
            yield await self.view(state)

    async def close(self) -> None:
        await self._local.close()

    async def diagnostics(self) -> DiagnosticItems:
        here = [item for item in await self._local.diagnostics() if item[0] != "queue.kind"]
        connected = self._queue.bus.nc.is_connected
        items = [
            ("queue.kind", "jetstream", True),
            ("queue.nats", "connected" if connected else "down", connected),
        ]
        try:
            items.append(("queue.pending_tasks", str(await self._queue.pending_tasks()), True))
        except ServiceError as exc:
            items.append(("queue.pending_tasks", exc.message, False))
        # Renders that could not be split run here, outside the shared queue.
        return items + [(f"{name}.here", value, ok) for name, value, ok in here]

    async def publish(self, state: JobState) -> None:
        """A worker changed a job: tell the bus (the workers' `on_change`), in the submitter's trace."""
        meta = await self._job_meta(state.job_id)
        view = job_view(state, meta, time.time())
        token = otel_context.attach(extract_context(dict(meta.trace_headers)))
        try:
            if view.status.finished:
                await self._events.finished(view)
            else:
                await self._events.progress(view)
        finally:
            otel_context.detach(token)

    async def view(self, state: JobState) -> JobView:
        return job_view(state, await self._job_meta(state.job_id), time.time())

    async def _job_meta(self, job_id: str) -> JobMeta:
        meta = self._meta.get(job_id)
        if meta is None:
            meta = JobMeta.from_json((await self._queue.job_spec(job_id)).metadata)
            self._meta[job_id] = meta
            while len(self._meta) > _META_CACHED:
                self._meta.popitem(last=False)
        return meta
