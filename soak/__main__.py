"""`python -m soak` (`make soak`): the load and chaos run; exit 1 when it failed its checks."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from soak.chaos import FAULTS
from soak.report import render_text
from soak.run import SoakOptions, soak


def parse(argv: list[str]) -> tuple[SoakOptions, Path | None]:
    defaults = SoakOptions()
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument(
        "--duration",
        type=float,
        default=defaults.duration,
        help="seconds for the work once the suite is up (load: half of it)",
    )
    parser.add_argument("--requests", type=int, default=defaults.requests, help="most media requests")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="requests in flight")
    parser.add_argument("--jobs", type=int, default=defaults.jobs, help="render jobs submitted at once")
    parser.add_argument("--render-concurrency", type=int, default=defaults.render_concurrency)
    parser.add_argument("--replicas", type=int, default=defaults.replicas, help="compiler replicas")
    parser.add_argument(
        "--faults",
        default=",".join(defaults.faults),
        help=f"comma-separated subset of {','.join(FAULTS)}, or 'none'",
    )
    parser.add_argument("--media-files", type=int, default=defaults.media_files, help="clips generated")
    parser.add_argument("--memory-limit-mb", type=float, default=defaults.memory_limit_mb)
    parser.add_argument(
        "--retry-budget",
        type=float,
        default=defaults.retry_budget,
        help="seconds a call keeps retrying UNAVAILABLE (documented policy: 60)",
    )
    parser.add_argument("--log-level", default=defaults.log_level, help="the services' log level")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep media, outputs and logs here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    faults = tuple(f for f in args.faults.split(",") if f and f != "none")
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    if "compiler" in faults and args.replicas < 2:
        parser.error("the compiler fault kills a replica: give --replicas 2 or more")
    options = SoakOptions(
        duration=args.duration,
        requests=args.requests,
        concurrency=args.concurrency,
        jobs=args.jobs,
        render_concurrency=args.render_concurrency,
        replicas=args.replicas,
        faults=faults,
        media_files=args.media_files,
        log_level=args.log_level,
        retry_budget=args.retry_budget,
        memory_limit_mb=args.memory_limit_mb,
        data_dir=args.data_dir,
    )
    return options, args.json


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    options, json_path = parse(argv)
    summary = asyncio.run(soak(options))
    print(render_text(summary), flush=True)
    if json_path:
        json_path.write_text(json.dumps(summary.to_json(), indent=2))
    return 0 if summary.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
