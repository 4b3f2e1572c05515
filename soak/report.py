"""The figures of a soak run, their verdict, and how they are printed."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from soak.chaos import FaultRecord
from soak.media_load import LoadResult
from soak.render_jobs import JobRecord
from soak.retry_policy import is_documented

WINDOW_SECONDS = 5.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Summary:
    requests: int
    requests_ok: int
    requests_per_second: float
    # The slowest full WINDOW_SECONDS window of the load (what the suite held even during faults).
    requests_per_second_min_window: float
    p50_ms: float
    p99_ms: float
    retried_unavailable: int
    retried_exhausted: int
    errors: dict[str, int]
    undocumented_errors: dict[str, int]
    # One error body per kind, to tell what the client was told.
    error_samples: dict[str, Any]
    # Seconds after the load started of the first and the last call that ended in each error kind.
    error_times: dict[str, tuple[float, float]]
    jobs_submitted: int
    jobs_accepted: int
    jobs_completed: int
    jobs_output_ok: int
    jobs_failed: int
    jobs_lost: int
    jobs_rejected: int
    # Submissions answered RESOURCE_EXHAUSTED (a full render queue) or UNAVAILABLE, then retried.
    jobs_submit_retries: int
    job_problems: list[str]
    peak_rss_mb: dict[str, float]
    faults: list[dict[str, Any]]
    server_rpcs: dict[str, dict[str, int]] = field(default_factory=dict)
    metric_families: dict[str, list[str]] = field(default_factory=dict)
    startup_seconds: float = 0.0
    compiler_queue: str = ""
    memory_limit_mb: float = 0.0

    @property
    def memory_exceeded(self) -> dict[str, float]:
        return {
            k: v for k, v in self.peak_rss_mb.items() if self.memory_limit_mb and v > self.memory_limit_mb
        }

    @property
    def passed(self) -> bool:
        """No job lost or failed or wrong, no undocumented error, no fault that could not be made."""
        return (
            self.jobs_lost == 0
            and self.jobs_failed == 0
            and self.jobs_output_ok == self.jobs_completed
            and not self.undocumented_errors
            and not any(f["error"] for f in self.faults)
            and not self.memory_exceeded
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "memory_exceeded": self.memory_exceeded}


def summarize(
    load: LoadResult,
    jobs: list[JobRecord],
    faults: list[FaultRecord],
    peaks: dict[str, int],
    memory_limit_mb: float,
) -> Summary:
    ok = [o for o in load.outcomes if o.ok]
    errors = Counter(o.kind for o in load.outcomes if not o.ok)
    for job in jobs:
        # A job's submit/poll errors count like any other call's.
        if job.error and not job.accepted:
            errors[f"render {job.error}"] += 1
    undocumented = {k: v for k, v in errors.items() if not is_documented(k)}
    completed = [j for j in jobs if j.status == "JOB_STATUS_SUCCEEDED"]
    problems = [
        f"{j.spec.key} on {j.replica}: {j.status or 'lost'} {j.error}".strip() for j in jobs if j.error
    ]
    problems += [
        f"{j.spec.key}: output {j.measured_seconds:.3f}s, expected {j.spec.expected_seconds:.3f}s"
        for j in completed
        if j.measured_seconds is not None and not j.output_ok
    ]
    return Summary(
        requests=len(load.outcomes),
        requests_ok=len(ok),
        requests_per_second=len(ok) / load.seconds if load.seconds else 0.0,
        requests_per_second_min_window=_min_window_rate(load),
        p50_ms=percentile([o.seconds for o in ok], 0.5) * 1e3,
        p99_ms=percentile([o.seconds for o in ok], 0.99) * 1e3,
        retried_unavailable=sum(o.retried_unavailable for o in load.outcomes),
        retried_exhausted=sum(o.retried_exhausted for o in load.outcomes),
        errors=dict(errors),
        undocumented_errors=undocumented,
        error_samples={o.kind: o.body for o in reversed(load.outcomes) if not o.ok},
        error_times=_error_times(load),
        jobs_submitted=len(jobs),
        jobs_accepted=sum(j.accepted for j in jobs),
        jobs_completed=len(completed),
        jobs_output_ok=sum(j.output_ok for j in jobs),
        jobs_failed=sum(j.status in ("JOB_STATUS_FAILED", "JOB_STATUS_CANCELLED") for j in jobs),
        jobs_lost=sum(j.lost for j in jobs),
        jobs_rejected=sum(not j.accepted for j in jobs),
        jobs_submit_retries=sum(j.submit_retries for j in jobs),
        job_problems=problems,
        peak_rss_mb={k: round(v / 2**20, 1) for k, v in sorted(peaks.items())},
        faults=[asdict(f) for f in faults],
        memory_limit_mb=memory_limit_mb,
    )


def _error_times(load: LoadResult) -> dict[str, tuple[float, float]]:
    times: dict[str, tuple[float, float]] = {}
    for outcome, at in zip(load.outcomes, load.finished_at, strict=True):
        if not outcome.ok:
            first, _ = times.get(outcome.kind, (at, at))
            times[outcome.kind] = (round(first, 1), round(at, 1))
    return times


def _min_window_rate(load: LoadResult) -> float:
    full_windows = int(load.seconds // WINDOW_SECONDS)
    if full_windows < 1:
        return 0.0
    counts = Counter(int(t // WINDOW_SECONDS) for t in load.finished_at)
    return min(counts.get(i, 0) for i in range(full_windows)) / WINDOW_SECONDS


def render_text(summary: Summary) -> str:
    s = summary
    lines = [
        "soak figures",
        f"  suite start-up        {s.startup_seconds:.1f}s",
        f"  media requests        {s.requests} done, {s.requests_ok} ok",
        f"  requests/s held       {s.requests_per_second:.1f} mean, {s.requests_per_second_min_window:.1f} "
        f"in the slowest {WINDOW_SECONDS:g}s window",
        f"  latency (end to end)  p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} ms (retries included)",
        f"  retries               {s.retried_unavailable} after UNAVAILABLE, "
        f"{s.retried_exhausted} after RESOURCE_EXHAUSTED",
        f"  errors by kind        {s.errors or 'none'}",
        f"  undocumented errors   {s.undocumented_errors or 'none'}",
        *(
            f"    {kind} from {s.error_times[kind][0]:.1f}s to {s.error_times[kind][1]:.1f}s, e.g. "
            f"{json.dumps(body)[:300]}"
            for kind, body in s.error_samples.items()
            if kind in s.error_times
        ),
        f"  render jobs           {s.jobs_submitted} submitted, {s.jobs_accepted} accepted, "
        f"{s.jobs_completed} completed, {s.jobs_output_ok} with correct duration, "
        f"{s.jobs_failed} failed, {s.jobs_lost} lost, {s.jobs_rejected} rejected "
        f"({s.jobs_submit_retries} submissions retried)",
    ]
    lines += [f"    - {problem}" for problem in s.job_problems]
    if s.jobs_lost and s.compiler_queue == "local":
        lines.append(
            "    (COMPILER_QUEUE=local: each replica owns the jobs it accepted, so a killed replica's "
            "jobs die with it; the JetStream queue is what makes them survive)"
        )
    lines.append("  peak RSS (MiB)        " + ", ".join(f"{k} {v:.0f}" for k, v in s.peak_rss_mb.items()))
    for fault in s.faults:
        what = f"failed: {fault['error']}" if fault["error"] else f"back in {fault['recovery']:.1f}s"
        lines.append(f"  fault {fault['name']:<15} at {fault['at']:.1f}s, {what}")
    for service, codes in s.server_rpcs.items():
        lines.append(f"  {service:<12} RPCs by code (its /metrics, since its last start): {codes}")
    for service, families in s.metric_families.items():
        lines.append(f"  {service:<12} exposes {', '.join(families) or 'no tstudio_* metrics'}")
    if s.memory_exceeded:
        lines.append(f"  memory over {s.memory_limit_mb:.0f} MiB: {s.memory_exceeded}")
    lines.append(f"  verdict               {'PASS' if s.passed else 'FAIL'}")
    return "\n".join(lines)
