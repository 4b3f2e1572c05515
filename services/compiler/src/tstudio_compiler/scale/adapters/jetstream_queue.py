"""Distributed render jobs on NATS JetStream.

- Job stream (`<prefix>_JOBS`, subjects `tstudio.compiler.queue.jobs.<job>`): the submitted job
  spec, one message per job (deduplicated by job id), read by whoever joins.
- Task stream (`<prefix>_SEGMENTS`, subjects `tstudio.compiler.queue.segments.<job>`, retention
  workqueue): one message per segment, pulled by every worker through one durable pull consumer; a
  task is acked only after its result is recorded, so a worker that dies has it redelivered after
  `ack_wait`.
- State bucket (KV `<prefix>_STATE`): `job.<id>` holds the `JobState` JSON, changed only by
  compare-and-set on its revision; `client.<sha>` maps an idempotency key to its job (create-if-absent).

Every call survives a nats-server restart: transient errors are retried with backoff (the client
reconnects on its own), and the streams and bucket are file-backed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import nats.errors
import nats.js.errors
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType
from svckit.bus import NatsBus
from svckit.errors import Aborted, FieldViolation, InvalidArgument, NotFound, Unavailable

from tstudio_compiler.scale.domain import job_state as js_state
from tstudio_compiler.scale.domain.job_state import JobState, Transition
from tstudio_compiler.scale.domain.render_ports import JobSpec, SegmentSpec

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.ConnectionClosedError,
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.StaleConnectionError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    asyncio.TimeoutError,
)


@dataclass(frozen=True)
class QueueConfig:
    """Names and timings of the JetStream objects; every replica of a deployment uses the same."""

    work_dir: str
    prefix: str = "TSTUDIO_RENDER"
    subject_root: str = "tstudio.compiler.queue"
    ack_wait: float = 30.0
    max_deliver: int = 20
    # How long a call keeps retrying while NATS is unreachable before it gives up (UNAVAILABLE).
    retry_for: float = 60.0
    # Job specs, job states and idempotency keys are forgotten after this long.
    retention_seconds: float = 7 * 24 * 3600.0

    @property
    def jobs_stream(self) -> str:
        return f"{self.prefix}_JOBS"

    @property
    def tasks_stream(self) -> str:
        return f"{self.prefix}_SEGMENTS"

    @property
    def state_bucket(self) -> str:
        return f"{self.prefix}_STATE"

    @property
    def consumer(self) -> str:
        return f"{self.prefix}_WORKERS"

    def job_subject(self, job_id: str) -> str:
        return f"{self.subject_root}.jobs.{job_id}"

    def task_subject(self, job_id: str) -> str:
        return f"{self.subject_root}.segments.{job_id}"


def _job_key(job_id: str) -> str:
    return f"job.{job_id}"


def _client_key(client_key: str) -> str:
    # KV keys allow a small alphabet; a hash takes any client string.
    return "client." + hashlib.sha256(client_key.encode()).hexdigest()[:40]


def spec_to_json(spec: JobSpec) -> bytes:
    return json.dumps(
        {
            "job_id": spec.job_id,
            "segments": [
                {"index": s.index, "key": s.key, "description": s.description} for s in spec.segments
            ],
            "output_path": spec.output_path,
            "audio_path": spec.audio_path,
            "client_key": spec.client_key,
            "metadata": spec.metadata,
        }
    ).encode()


def spec_from_json(data: bytes) -> JobSpec:
    value = json.loads(data)
    return JobSpec(
        job_id=value["job_id"],
        segments=tuple(SegmentSpec(s["index"], s["key"], s["description"]) for s in value["segments"]),
        output_path=value["output_path"],
        audio_path=value.get("audio_path", ""),
        client_key=value.get("client_key", ""),
        metadata=value.get("metadata", {}),
    )


class JetStreamRenderQueue:
    """Submit, look up and cancel distributed jobs; shared by the API side and the workers.

    `bus` is the service's `svckit.bus.NatsBus`. Call `await start()` once.
    """

    def __init__(self, bus: NatsBus, config: QueueConfig) -> None:
        self.bus = bus
        self.config = config
        self.js = bus.jetstream
        self.kv: Any = None

    async def start(self) -> None:
        """Create (or update) the streams, the consumer and the state bucket."""
        cfg = self.config
        common = {"storage": StorageType.FILE, "duplicate_window": 120.0}
        await self.retrying(
            lambda: self.bus.ensure_stream(
                cfg.jobs_stream,
                [cfg.job_subject("*")],
                retention=RetentionPolicy.LIMITS,
                max_age=cfg.retention_seconds,
                **common,
            )
        )
        await self.retrying(
            lambda: self.bus.ensure_stream(
                cfg.tasks_stream, [cfg.task_subject("*")], retention=RetentionPolicy.WORK_QUEUE, **common
            )
        )
        await self.retrying(self._ensure_consumer)
        self.kv = await self.retrying(
            lambda: self.bus.key_value(
                cfg.state_bucket, history=1, ttl=cfg.retention_seconds, storage=StorageType.FILE
            )
        )

    async def _ensure_consumer(self) -> None:
        config = ConsumerConfig(
            durable_name=self.config.consumer,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.config.ack_wait,
            max_deliver=self.config.max_deliver,
            filter_subject=self.config.task_subject("*"),
        )
        await self.js.add_consumer(self.config.tasks_stream, config=config)

    async def retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run `call`, retrying transient NATS errors (reconnects, restarts) for `retry_for` seconds."""
        deadline = time.monotonic() + self.config.retry_for
        delay = 0.05
        while True:
            try:
                return await call()
            except TRANSIENT_ERRORS as exc:
                if time.monotonic() > deadline:
                    raise Unavailable(
                        f"NATS JetStream unreachable: {type(exc).__name__}", retry_after_seconds=1.0
                    ) from exc
                log.info("NATS not ready (%s); retrying", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    # -- jobs ----------------------------------------------------------------------------------

    async def submit(
        self,
        segments: Sequence[SegmentSpec],
        output_path: str,
        *,
        audio_path: str = "",
        client_key: str = "",
        metadata: dict[str, Any] | None = None,
        use_cache: bool = True,
        job_id: str = "",
    ) -> JobState:
        """Queue a job of `segments` (timeline order). With a `client_key`, a second submission
        returns the first job instead of creating another. `use_cache=False` is `--no-cache`.
        `job_id` lets the caller name the job (to prepare files under it); a fresh one by default."""
        if not segments:
            raise InvalidArgument(
                "a job needs segments", field_violations=[FieldViolation("segments", "empty")]
            )
        indexes = sorted(s.index for s in segments)
        if indexes != list(range(len(segments))):
            raise InvalidArgument(
                "segment indexes must be 0..n-1",
                field_violations=[FieldViolation("segments", "indexes not 0..n-1")],
            )
        if client_key:
            existing = await self._job_for_key(client_key)
            if existing is not None:
                log.info("client key already submitted as job %s", existing.job_id)
                return existing
        job_id = job_id or uuid.uuid4().hex
        state = JobState(
            job_id=job_id, segments_total=len(segments), client_key=client_key, created_at=time.time()
        )
        await self.retrying(lambda: self._create_state(state))
        spec = JobSpec(
            job_id=job_id,
            segments=tuple(sorted(segments, key=lambda s: s.index)),
            output_path=output_path,
            audio_path=audio_path,
            client_key=client_key,
            metadata=metadata or {},
        )
        # Msg-Id headers make a retried publish (after a lost ack) land once.
        await self.retrying(
            lambda: self.js.publish(
                self.config.job_subject(job_id), spec_to_json(spec), headers={"Nats-Msg-Id": f"job.{job_id}"}
            )
        )
        for segment in spec.segments:
            payload = json.dumps(
                {
                    "job_id": job_id,
                    "index": segment.index,
                    "key": segment.key,
                    "description": segment.description,
                    "use_cache": use_cache,
                }
            ).encode()
            publish = functools.partial(
                self.js.publish,
                self.config.task_subject(job_id),
                payload,
                headers={"Nats-Msg-Id": f"task.{job_id}.{segment.index}"},
            )
            await self.retrying(publish)
        if client_key:
            # The key is claimed only once the job is complete in the queue, so a key never points
            # at a half-submitted job; a submitter that loses a race cancels its own copy.
            try:
                await self.retrying(lambda: self._claim_key(client_key, job_id))
            except nats.js.errors.KeyWrongLastSequenceError:
                winner = await self._job_for_key(client_key)
                await self.cancel(job_id)
                if winner is None:
                    raise Unavailable(
                        "idempotency key is being claimed; retry", retry_after_seconds=1.0
                    ) from None
                log.info("client key won by job %s; job %s cancelled", winner.job_id, job_id)
                return winner
        log.info("submitted job %s with %d segments", job_id, len(segments))
        return state

    async def _claim_key(self, client_key: str, job_id: str) -> None:
        try:
            await self.kv.create(_client_key(client_key), job_id.encode())
        except nats.js.errors.KeyWrongLastSequenceError:
            entry = await self.kv.get(_client_key(client_key))
            if entry.value.decode() != job_id:  # not merely our own retried create
                raise

    async def _job_for_key(self, client_key: str) -> JobState | None:
        try:
            entry = await self.retrying(lambda: self.kv.get(_client_key(client_key)))
        except nats.js.errors.KeyNotFoundError:
            return None
        return await self.get(entry.value.decode())

    async def _create_state(self, state: JobState) -> None:
        try:
            await self.kv.create(_job_key(state.job_id), state.to_bytes())
        except nats.js.errors.KeyWrongLastSequenceError:
            pass  # a retried create that had landed

    async def get(self, job_id: str) -> JobState | None:
        try:
            entry = await self.retrying(lambda: self.kv.get(_job_key(job_id)))
        except nats.js.errors.KeyNotFoundError:
            return None
        return JobState.from_bytes(entry.value)

    async def require(self, job_id: str) -> JobState:
        state = await self.get(job_id)
        if state is None:
            raise NotFound(f"render job {job_id} not found")
        return state

    async def states(self) -> list[JobState]:
        """Every job the bucket still holds (ListRenders)."""
        try:
            keys = await self.retrying(self.kv.keys)
        except nats.js.errors.NoKeysError:
            return []
        found = []
        for key in keys:
            if key.startswith("job."):
                state = await self.get(key.removeprefix("job."))
                if state is not None:
                    found.append(state)
        return found

    async def job_spec(self, job_id: str) -> JobSpec:
        try:
            msg = await self.retrying(
                lambda: self.js.get_last_msg(self.config.jobs_stream, self.config.job_subject(job_id))
            )
        except nats.js.errors.NotFoundError as exc:
            raise NotFound(f"render job {job_id} has no spec") from exc
        return spec_from_json(msg.data)

    async def cancel(self, job_id: str) -> JobState:
        """Mark the job cancelled; workers drop its remaining tasks."""
        return (await self.transact(job_id, lambda s: js_state.cancel(s, time.time()))).state

    async def transact(self, job_id: str, change: Callable[[JobState], Transition]) -> Transition:
        """Apply a pure transition with compare-and-set, re-reading and retrying on a conflict."""
        for _ in range(100):
            try:
                entry = await self.retrying(lambda: self.kv.get(_job_key(job_id)))
            except nats.js.errors.KeyNotFoundError as exc:
                raise NotFound(f"render job {job_id} not found") from exc
            transition = change(JobState.from_bytes(entry.value))
            if not transition.changed:
                return transition
            try:
                await self.retrying(
                    functools.partial(
                        self.kv.update, _job_key(job_id), transition.state.to_bytes(), last=entry.revision
                    )
                )
                return transition
            except nats.js.errors.KeyWrongLastSequenceError:
                continue  # someone else changed it first; decide again on the new state
        raise Aborted(f"render job {job_id} is too contended to update")

    async def watch(self, job_id: str, resync: float = 2.0) -> AsyncIterator[JobState]:
        """The job's state now and after every change, ending once it is finished (WatchRender).
        Changes come from a KV watch; every `resync` seconds without one, the state is re-read, so a
        watch lost to a NATS restart only delays updates."""
        state = await self.require(job_id)
        yield state
        if state.status.finished:
            return
        watcher = await self.retrying(lambda: self.kv.watch(_job_key(job_id)))
        try:
            while True:
                try:
                    entry = await watcher.updates(timeout=resync)
                    fresh = JobState.from_bytes(entry.value) if entry is not None and entry.value else None
                except nats.errors.TimeoutError:
                    fresh = await self.get(job_id)
                if fresh is None or fresh == state:
                    continue
                state = fresh
                yield state
                if state.status.finished:
                    return
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()

    async def wait_finished(self, job_id: str, timeout: float, poll: float = 0.1) -> JobState:
        """Poll until the job succeeded, failed or was cancelled (for clients and tests)."""
        deadline = time.monotonic() + timeout
        while True:
            state = await self.require(job_id)
            if state.status.finished:
                return state
            if time.monotonic() > deadline:
                return state
            await asyncio.sleep(poll)

    async def pending_tasks(self) -> int:
        """Tasks not yet acked (queue depth, what KEDA scales on)."""
        info = await self.retrying(lambda: self.js.stream_info(self.config.tasks_stream))
        return int(info.state.messages)
