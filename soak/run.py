"""One soak run: start the suite, load it, inject faults, follow every job, gather the figures."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import aiohttp

from soak.chaos import FAULTS, LOAD_SHARE, fault_actions, inject
from soak.cluster import Cluster, start_cluster
from soak.gateway_client import GatewayClient
from soak.media_load import MediaLoad
from soak.memory import PeakRssSampler
from soak.render_jobs import GatewayJobs, GrpcJobs, JobEndpoint, run_job
from soak.report import Summary, summarize
from soak.retry_policy import RetryPolicy
from soak.server_metrics import scrape
from soak.workload import make_media, media_requests, render_specs

log = logging.getLogger(__name__)

# Start-up is bounded on its own: on a busy 2-core host six processes may need a minute.
STARTUP_TIMEOUT = 180.0


@dataclass(frozen=True)
class SoakOptions:
    # Budget of the work once the suite is up: the load takes at most half, renders the rest.
    duration: float = 240.0
    requests: int = 50_000
    concurrency: int = 500
    jobs: int = 20
    render_concurrency: int = 2
    replicas: int = 2
    faults: tuple[str, ...] = FAULTS
    media_files: int = 8
    memory_limit_mb: float = 2048.0
    # Per call: how long a client keeps retrying UNAVAILABLE (the documented policy says 60 s).
    retry_budget: float = 60.0
    # The services' log level; INFO logs every failed call (and costs CPU under load).
    log_level: str = "WARNING"
    # Where media, outputs and the services' logs go; a temporary folder when None.
    data_dir: Path | None = None


def compiler_queue_mode() -> str:
    """`jetstream` when this compiler build has COMPILER_QUEUE (shared jobs across replicas)."""
    from tstudio_compiler.settings import CompilerSettings

    names = {f.name for f in dataclasses.fields(CompilerSettings)}
    return "jetstream" if "queue" in names else "local"


def suite_env(options: SoakOptions, token: str, queue: str, shared_dir: Path) -> dict[str, str]:
    env = {
        "GATEWAY_DEV_TOKEN": token,
        # Raised for the load (one token sends everything); 429 beyond it is still documented.
        "GATEWAY_RATE_LIMIT_PER_SECOND": "5000",
        "GATEWAY_RATE_LIMIT_BURST": str(max(1000, options.concurrency * 2)),
        "COMPILER_MAX_CONCURRENT_RENDERS": str(options.render_concurrency),
    }
    for prefix in ("COMPILER", "MEDIA", "RECOGNITION", "SECURITY", "GATEWAY"):
        # Per-request INFO lines would cost the 2-core host more than the load itself.
        env[f"{prefix}_LOG_LEVEL"] = options.log_level
    if queue == "jetstream":
        env["COMPILER_QUEUE"] = "jetstream"
        env["COMPILER_SHARED_DIR"] = str(shared_dir)
        # A killed replica's segment comes back this soon (the default 30 s suits real renders).
        env["COMPILER_QUEUE_ACK_WAIT_SECONDS"] = "5"
    return env


async def soak(options: SoakOptions) -> Summary:
    """Start the suite, run load, faults and renders within `options.duration` seconds, stop it."""
    with tempfile.TemporaryDirectory(prefix="tstudio-soak-") as tmp:
        root = (options.data_dir or Path(tmp)).resolve()
        clips = await asyncio.to_thread(make_media, root / "media", options.media_files)
        token = secrets.token_urlsafe(24)
        queue = compiler_queue_mode()
        log.info("starting the suite (%d compiler replica(s), queue=%s) in %s", options.replicas, queue, root)
        began = time.monotonic()
        cluster = await asyncio.to_thread(
            start_cluster,
            root / "suite",
            suite_env(options, token, queue, root / "shared"),
            options.replicas,
            STARTUP_TIMEOUT,
        )
        startup = time.monotonic() - began
        try:
            with PeakRssSampler(lambda: cluster.pids) as sampler:
                summary = await _drive(cluster, options, clips, root, token, queue)
                summary.startup_seconds = round(startup, 1)
                summary.compiler_queue = queue
                scraped = {
                    name: scrape(f"http://127.0.0.1:{port}/metrics")
                    for name, port in cluster.metrics_ports.items()
                    if name in cluster.pids
                }
                summary.server_rpcs = {name: m.rpc_codes for name, m in scraped.items() if m}
                summary.metric_families = {name: m.families for name, m in scraped.items() if m}
            summary.peak_rss_mb = {k: round(v / 2**20, 1) for k, v in sorted(sampler.peaks.items())}
        finally:
            await asyncio.to_thread(cluster.stop)
    return summary


async def _drive(
    cluster: Cluster,
    options: SoakOptions,
    clips: list[Path],
    root: Path,
    token: str,
    queue: str,
) -> Summary:
    started = time.monotonic()
    # The media load and the faults take at most the first half; renders may use all of it.
    load_window = options.duration / 2
    jobs_deadline = started + options.duration
    policy = RetryPolicy(budget_seconds=options.retry_budget)
    async with AsyncExitStack() as stack:
        connector = aiohttp.TCPConnector(limit=options.concurrency + 50)
        session = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))
        client = GatewayClient(session, cluster.gateway_url, token, policy)
        endpoints: list[JobEndpoint] = [GatewayJobs("compiler", client)]
        if queue == "local":
            # The gateway knows one compiler address; with no shared queue the other replicas
            # are reached directly, each owning the jobs it accepted.
            for name, address in cluster.replicas.items():
                if name != "compiler":
                    grpc_jobs = GrpcJobs(name, address)
                    stack.push_async_callback(grpc_jobs.close)
                    endpoints.append(grpc_jobs)
        specs = render_specs(clips, root / "out", options.jobs, secrets.token_hex(4))
        assigned = [endpoints[i % len(endpoints)] for i in range(len(specs))]
        # The replica that will be killed is the last extra one (as chaos picks it); once it has
        # answered all its submissions it holds queued and running jobs. With a shared queue
        # every job goes through the gateway and any replica may hold its segments.
        victim = endpoints[-1].name if queue == "local" else "compiler"
        victim_jobs = sum(e.name == victim for e in assigned)
        victim_loaded = asyncio.Event()
        if victim_jobs == 0:
            victim_loaded.set()
        answered = 0

        def count_submission(endpoint: JobEndpoint) -> None:
            nonlocal answered
            answered += endpoint.name == victim
            if answered == victim_jobs:
                victim_loaded.set()

        jobs = asyncio.gather(
            *(
                run_job(e, spec, client, policy, jobs_deadline, partial(count_submission, e))
                for e, spec in zip(assigned, specs, strict=True)
            )
        )
        load = MediaLoad(client, media_requests(clips, options.requests), options.concurrency)
        triggers: dict[str, Callable[[], Awaitable[object]]] = {
            name: (victim_loaded.wait if name == "compiler" else partial(load.reached, LOAD_SHARE[name]))
            for name in options.faults
        }
        faults = asyncio.create_task(inject(triggers, fault_actions(cluster), started))
        load_result = await load.run(until=started + load_window)
        fault_records = await faults
        job_records = await jobs
    return summarize(load_result, job_records, fault_records, {}, options.memory_limit_mb)
