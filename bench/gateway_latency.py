"""Added latency of the gateway, and events relayed per second to WebSocket subscribers.

1. `probe_media_file` on one small file (warm: the OS and the media service have seen it) called
   over HTTP and over WebSocket through the gateway, against the same Probe RPC called directly
   over gRPC, interleaved in rounds in the same run. Prints p50/p99 of each and the added latency
   (gateway minus direct). Target: under 1 ms added at p50.
2. Events published on NATS to 100 WebSocket subscribers through the gateway, against the same 100
   subscribers attached to NATS directly (nats-py), as events delivered per second and a ratio.

Everything runs as separate processes on loopback: nats-server, the media service, the gateway.
`python bench/gateway_latency.py [--calls N] [--events N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import grpc
import nats
from svckit.events import new_event
from svckit.healthcheck import check
from svckit.testing import NatsServer, free_port, make_video, wait_until
from tstudio.events.v1 import events_pb2
from tstudio.media.v1 import media_pb2, media_pb2_grpc

TOKEN = "bench-token"
SUBSCRIBERS = 100


@contextmanager
def process(args: list[str], env: dict[str, str], ready: Callable[[], bool], log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        child = subprocess.Popen(args, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        try:
            if (
                not wait_until(lambda: child.poll() is not None or ready(), timeout=60)
                or child.poll() is not None
            ):
                raise RuntimeError(f"{args} did not start:\n{log.read_text()[-2000:]}")
            yield
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(call: Callable[[], Awaitable[object]], count: int, into: list[float]) -> None:
    for _ in range(count):
        started = time.perf_counter()
        await call()
        into.append(time.perf_counter() - started)


async def latency(media_addr: str, gateway_url: str, video: Path, calls: int) -> None:
    direct: list[float] = []
    http: list[float] = []
    ws_times: list[float] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"path": str(video)}
    async with grpc.aio.insecure_channel(media_addr) as channel, aiohttp.ClientSession() as session:
        stub = media_pb2_grpc.MediaServiceStub(channel)
        request = media_pb2.ProbeRequest(path=str(video))
        ws = await session.ws_connect(gateway_url.replace("http", "ws", 1) + "/api/v1/ws", headers=headers)
        counter = 0

        async def grpc_probe() -> None:
            await stub.Probe(request)

        async def http_probe() -> None:
            async with session.post(
                f"{gateway_url}/api/v1/invoke/probe_media_file", json=body, headers=headers
            ) as r:
                assert r.status == 200, await r.text()
                await r.read()

        async def ws_probe() -> None:
            nonlocal counter
            counter += 1
            await ws.send_str(
                json.dumps(
                    {"id": str(counter), "type": "invoke", "command": "probe_media_file", "args": body}
                )
            )
            reply = json.loads(await ws.receive_str())
            assert reply["type"] == "result", reply

        # Warm up every path (connections, caches, code paths), then interleave rounds so drift in
        # the machine's load affects all three alike.
        for call in (grpc_probe, http_probe, ws_probe):
            await timed(call, 50, [])
        rounds = 10
        for _ in range(rounds):
            await timed(grpc_probe, calls // rounds, direct)
            await timed(http_probe, calls // rounds, http)
            await timed(ws_probe, calls // rounds, ws_times)
        await ws.close()

    base50, base99 = percentile(direct, 0.5), percentile(direct, 0.99)
    print(f"probe_media_file, {len(direct)} calls each (ms)      p50      p99   added p50   ratio p50")
    print(f"  direct gRPC (baseline)                  {base50 * 1e3:8.3f} {base99 * 1e3:8.3f}")
    for name, values in (("gateway HTTP/JSON", http), ("gateway WebSocket", ws_times)):
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(
            f"  {name:<40}{p50 * 1e3:8.3f} {p99 * 1e3:8.3f} {(p50 - base50) * 1e3:+10.3f} {p50 / base50:10.2f}x"
        )
    print(f"  (mean direct {statistics.fmean(direct) * 1e3:.3f} ms; target: under 1 ms added at p50)")


async def relay(nats_url: str, gateway_url: str, events: int) -> None:
    subject = "tstudio.compiler.render.bench.progress"
    payload = new_event(
        "compiler", subject, progress=events_pb2.JobProgress(job_id="bench")
    ).SerializeToString()
    publisher = await nats.connect(nats_url)

    async def publish_all() -> None:
        for _ in range(events):
            await publisher.publish(subject, payload)
        await publisher.flush()

    # Baseline: the same subscribers straight on NATS, one connection each.
    received = 0
    done = asyncio.Event()
    direct_clients = [await nats.connect(nats_url) for _ in range(SUBSCRIBERS)]

    async def on_message(msg: object) -> None:
        nonlocal received
        events_pb2.Event.FromString(msg.data)  # type: ignore[attr-defined]
        received += 1
        if received == events * SUBSCRIBERS:
            done.set()

    for client in direct_clients:
        await client.subscribe(subject, cb=on_message)
        await client.flush()
    started = time.perf_counter()
    await publish_all()
    try:
        await asyncio.wait_for(done.wait(), 60)
    except TimeoutError:
        raise RuntimeError(f"direct NATS subscribers got {received} of {events * SUBSCRIBERS}") from None
    direct_rate = events * SUBSCRIBERS / (time.perf_counter() - started)
    for client in direct_clients:
        await client.close()

    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as session:
        sockets = [
            await session.ws_connect(gateway_url.replace("http", "ws", 1) + "/api/v1/ws", headers=headers)
            for _ in range(SUBSCRIBERS)
        ]
        for ws in sockets:
            await ws.send_str(json.dumps({"id": "s", "type": "subscribe", "subject": subject}))
            assert json.loads(await ws.receive_str())["type"] == "subscribed"

        async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
            for _ in range(events):
                message = json.loads(await ws.receive_str())
                assert message["type"] == "event"

        started = time.perf_counter()
        readers = asyncio.gather(*(drain(ws) for ws in sockets))
        await publish_all()
        await asyncio.wait_for(readers, 300)
        relayed_rate = events * SUBSCRIBERS / (time.perf_counter() - started)
        for ws in sockets:
            await ws.close()
    await publisher.close()
    print(f"\nevents to {SUBSCRIBERS} subscribers ({events} events each)      deliveries/s   ratio")
    print(f"  NATS direct, nats-py subscribers (baseline)    {direct_rate:12,.0f}")
    print(
        f"  through the gateway, WebSocket subscribers     {relayed_rate:12,.0f}  {relayed_rate / direct_rate:6.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp,
        NatsServer(jetstream=False) as nats_server,
    ):
        root = Path(tmp)
        video = make_video(root / "clip.mp4", seconds=1.0, width=160, height=120)
        media_port, gateway_port = free_port(), free_port()
        media_addr = f"127.0.0.1:{media_port}"
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        media_env = {
            "MEDIA_PORT": str(media_port),
            "MEDIA_DATA_DIR": str(root / "media"),
            "MEDIA_HTTP_PORT": "0",
            "MEDIA_LOG_LEVEL": "WARNING",
        }
        gateway_env = {
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_MEDIA_ADDR": media_addr,
            "GATEWAY_DEV_TOKEN": TOKEN,
            "GATEWAY_DATA_DIR": str(root / "gateway"),
            "GATEWAY_NATS_URL": nats_server.url,
            "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        with (
            process(
                [sys.executable, "-m", "tstudio_media"],
                media_env,
                lambda: check(media_addr, timeout=0.5),
                root / "media.log",
            ),
            process(
                [sys.executable, "-m", "tstudio_gateway"],
                gateway_env,
                lambda: http_ok(f"{gateway_url}/healthz"),
                root / "gateway.log",
            ),
        ):
            asyncio.run(latency(media_addr, gateway_url, video, options.calls))
            asyncio.run(relay(nats_server.url, gateway_url, options.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
