"""Render jobs under load: submit, follow to the end, check the output's duration.

A job is submitted with an idempotency key, so a submission retried after UNAVAILABLE cannot make
a second job. It goes to a compiler replica either through the gateway (`submit_render` /
`get_render`) or, for extra replicas the gateway does not know, straight over gRPC.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from google.protobuf import json_format
from svckit.grpc_errors import error_details
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2

from soak.gateway_client import GatewayClient
from soak.retry_policy import Attempt, Outcome, RetryPolicy, Verdict
from soak.workload import RenderSpec

TERMINAL = {"JOB_STATUS_SUCCEEDED", "JOB_STATUS_FAILED", "JOB_STATUS_CANCELLED"}
# Outputs measured so far match to the frame; allow one frame at 30 fps plus rounding.
DURATION_TOLERANCE = 0.05


class JobEndpoint(Protocol):
    name: str

    async def submit(self, spec: RenderSpec, policy: RetryPolicy) -> Outcome: ...

    async def get(self, job_id: str, policy: RetryPolicy) -> Outcome: ...


class GatewayJobs:
    """Jobs on the replica behind the gateway."""

    def __init__(self, name: str, client: GatewayClient) -> None:
        self.name = name
        self.client = client

    async def submit(self, spec: RenderSpec, policy: RetryPolicy) -> Outcome:
        args = {"project": spec.project, "clientKey": spec.key}
        return await self.client.invoke("submit_render", args, policy=policy)

    async def get(self, job_id: str, policy: RetryPolicy) -> Outcome:
        return await self.client.invoke("get_render", {"jobId": job_id}, timeout=30, policy=policy)


class GrpcJobs:
    """Jobs on a replica reached directly (extra replicas in `COMPILER_QUEUE=local` mode)."""

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.channel = grpc.aio.insecure_channel(address)
        self.stub = compiler_pb2_grpc.CompilerServiceStub(self.channel)

    async def submit(self, spec: RenderSpec, policy: RetryPolicy) -> Outcome:
        project = json_format.Parse(json.dumps(spec.project), project_pb2.Project())
        request = compiler_pb2.SubmitRenderRequest(project=project, client_key=spec.key)
        return await policy.call("SubmitRender", lambda: _grpc_attempt(self.stub.SubmitRender(request)))

    async def get(self, job_id: str, policy: RetryPolicy) -> Outcome:
        request = compiler_pb2.GetRenderRequest(job_id=job_id)
        return await policy.call("GetRender", lambda: _grpc_attempt(self.stub.GetRender(request, timeout=30)))

    async def close(self) -> None:
        await self.channel.close()


async def _grpc_attempt(call: Any) -> Attempt:
    try:
        reply = await call
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        kind = f"gRPC {code.name}"
        if code is grpc.StatusCode.UNAVAILABLE:
            return Attempt(Verdict.RETRY_UNAVAILABLE, kind)
        if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
            return Attempt(Verdict.RETRY_EXHAUSTED, kind, retry_after=error_details(exc).retry_after_seconds)
        return Attempt(Verdict.FINAL_ERROR, kind, {"error": {"code": code.name, "message": exc.details()}})
    # The gateway answers with proto field names; the same shape here keeps one reader.
    return Attempt(Verdict.OK, body=json_format.MessageToDict(reply, preserving_proto_field_name=True))


@dataclass
class JobRecord:
    spec: RenderSpec
    replica: str
    job_id: str = ""
    accepted: bool = False
    # Final job status (JOB_STATUS_*), or "" when it was never seen to end.
    status: str = ""
    # Why the job was not accepted, or why it was lost after it was.
    error: str = ""
    measured_seconds: float | None = None
    submit_retries: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> bool:
        return self.accepted and self.status not in TERMINAL

    @property
    def output_ok(self) -> bool:
        return (
            self.status == "JOB_STATUS_SUCCEEDED"
            and self.measured_seconds is not None
            and abs(self.measured_seconds - self.spec.expected_seconds) <= DURATION_TOLERANCE
        )


async def run_job(
    endpoint: JobEndpoint,
    spec: RenderSpec,
    prober: GatewayClient,
    policy: RetryPolicy,
    deadline: float,
    on_submitted: Callable[[], None] = lambda: None,
    poll_seconds: float = 0.5,
) -> JobRecord:
    """Submit `spec` (then call `on_submitted`), poll until the job ends or `deadline`, then probe
    its output."""
    record = JobRecord(spec=spec, replica=endpoint.name)
    started = time.monotonic()
    # Back-pressure (a full queue) is waited out until the run's deadline, as a client would.
    submit_policy = RetryPolicy(
        policy.initial_backoff, policy.max_backoff, policy.multiplier, max(1.0, deadline - time.monotonic())
    )
    submitted = await endpoint.submit(spec, submit_policy)
    on_submitted()
    record.submit_retries = submitted.attempts - 1
    if not submitted.ok:
        record.error = f"submit: {submitted.kind}"
        return record
    job = submitted.body["job"]
    record.job_id, record.accepted = job["id"], True
    while job.get("status") not in TERMINAL:
        if time.monotonic() > deadline:
            record.error = "not finished by the run's deadline"
            return record
        await asyncio.sleep(poll_seconds)
        polled = await endpoint.get(record.job_id, policy)
        if not polled.ok:
            record.error = f"get_render: {polled.kind}"
            return record
        job = polled.body["job"]
    record.status = job["status"]
    record.seconds = time.monotonic() - started
    if record.status != "JOB_STATUS_SUCCEEDED":
        record.error = job.get("error", "")
        return record
    probed = await prober.invoke("probe_media_file", {"path": str(spec.output)})
    if probed.ok:
        record.measured_seconds = float(probed.body["info"].get("duration_seconds", 0.0))
    else:
        record.error = f"probe of output: {probed.kind}"
    return record
