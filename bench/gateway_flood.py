"""Issue 15 item 8: what a flood of very long unknown command names does to the gateway.

The gateway runs as a process (no backends needed: an unknown name is answered by the gateway
itself). One client sends `--flood` concurrent requests for an 8000-character unknown command,
over and over, while another asks `/healthz` every 5 ms; prints /healthz p50/p99/max during the
flood, against the same /healthz with no flood (the baseline, in the same run), and the time one
long unknown name takes alone. Goal: /healthz p99 under 50 ms during the flood.
`python bench/gateway_flood.py [--flood 20] [--seconds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
from svckit.testing import free_port, wait_until

TOKEN = "bench-token"


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def healthz_times(session: aiohttp.ClientSession, url: str, seconds: float) -> list[float]:
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        async with session.get(f"{url}/healthz") as reply:
            await reply.read()
        times.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return times


async def flood(session: aiohttp.ClientSession, url: str, name: str, stop: asyncio.Event) -> int:
    sent = 0
    while not stop.is_set():
        async with session.post(
            f"{url}/api/v1/invoke/{name}", json={}, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as reply:
            assert reply.status == 404, await reply.text()
            await reply.read()
        sent += 1
    return sent


def report(label: str, times: list[float]) -> None:
    print(
        f"{label:28s} n={len(times):5d}  p50={percentile(times, 0.5) * 1e3:8.2f} ms"
        f"  p99={percentile(times, 0.99) * 1e3:8.2f} ms  max={max(times) * 1e3:8.2f} ms"
    )


async def run(url: str, flood_size: int, seconds: float) -> None:
    name = "x" * 8000
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()
        async with session.post(
            f"{url}/api/v1/invoke/{name}", json={}, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as reply:
            await reply.read()
        print(f"one 8000-char unknown name: {(time.perf_counter() - started) * 1e3:.2f} ms round trip")
        report("/healthz, no flood", await healthz_times(session, url, seconds))
        stop = asyncio.Event()
        flooders = [asyncio.create_task(flood(session, url, name, stop)) for _ in range(flood_size)]
        times = await healthz_times(session, url, seconds)
        stop.set()
        sent = sum(await asyncio.gather(*flooders))
        report(f"/healthz, flood of {flood_size}", times)
        print(f"long-name requests answered during the flood: {sent} ({sent / seconds:.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "GATEWAY_PORT": str(port),
            "GATEWAY_DATA_DIR": str(Path(tmp) / "gateway"),
            "GATEWAY_TOKENS": TOKEN,
            "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
            "GATEWAY_LOG_FORMAT": "text",
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        with open(Path(tmp) / "gateway.log", "wb") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "tstudio_gateway"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                if not wait_until(lambda: child.poll() is not None or http_ok(f"{url}/healthz"), timeout=60):
                    raise RuntimeError("the gateway did not start")
                asyncio.run(run(url, args.flood, args.seconds))
            finally:
                child.terminate()
                child.wait(10)


if __name__ == "__main__":
    main()
