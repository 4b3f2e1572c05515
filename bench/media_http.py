"""Media service: the HTTP video server's throughput on loopback against nginx (sendfile on)
serving the same file, both driven by wrk in the same run: whole-file Gbit/s and random 1 MiB
range requests per second. Both servers run one worker (one nginx worker process; the media
service's one event loop), on the same machine as wrk. A bare aiohttp `FileResponse` server on
the same file is measured too, as the ceiling of aiohttp's own sendfile path (no signature,
path or range checks), so a gap to nginx can be told apart from what the media service adds.

Run: `.venv/bin/python bench/media_http.py` (or `make bench`); needs `nginx` and `wrk` (Debian
packages). Targets: >= 90% of nginx on whole files, >= 80% on 1 MiB ranges.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
from svckit.healthcheck import wait_serving
from svckit.testing import free_port, wait_until
from tstudio.media.v1 import media_pb2, media_pb2_grpc

FILE_BYTES = 64 * 1024 * 1024
RANGE_BYTES = 1024 * 1024
SECONDS = 5
ROUNDS = 3
CONNECTIONS = 16

_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}

RANGE_SCRIPT = """
math.randomseed(7)
request = function()
  local first = math.random(0, {size} - {length})
  return wrk.format("GET", nil, {{["Range"] = "bytes=" .. first .. "-" .. (first + {length} - 1)}})
end
"""


BARE_AIOHTTP = """
import sys
from aiohttp import web

async def serve(request):
    return web.FileResponse(sys.argv[2])

app = web.Application()
app.router.add_get("/big.mp4", serve)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def wrk(url: str, script: Path | None = None) -> tuple[float, float]:
    """(requests/s, bytes/s) of a wrk run."""
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", url]
    if script is not None:
        args[1:1] = ["-s", str(script)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    amount, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out).groups()  # type: ignore[union-attr]
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors from {url}:\n{out}")
    return requests, float(amount) * _UNITS[unit]


def start_nginx(root: Path, port: int) -> subprocess.Popen[bytes]:
    conf = root / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  types {{ video/mp4 mp4; }}
  client_body_temp_path {root}/tmp-body;
  proxy_temp_path {root}/tmp-proxy;
  fastcgi_temp_path {root}/tmp-fastcgi;
  uwsgi_temp_path {root}/tmp-uwsgi;
  scgi_temp_path {root}/tmp-scgi;
  server {{ listen 127.0.0.1:{port}; root {root}/media; location / {{ }} }}
}}
""")
    return subprocess.Popen(["nginx", "-c", str(conf), "-p", str(root)])


async def media_stream_url(grpc_port: int, path: Path) -> str:
    await wait_serving(f"127.0.0.1:{grpc_port}", timeout=30)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = media_pb2_grpc.MediaServiceStub(channel)
        return (await stub.GetStreamUrl(media_pb2.GetStreamUrlRequest(path=str(path)))).url


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def main() -> None:
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} not found (Debian: apt-get install nginx wrk); it is this benchmark's baseline/driver"
            )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "media").mkdir()
        video = root / "media" / "big.mp4"
        video.write_bytes(os.urandom(FILE_BYTES))
        script = root / "ranges.lua"
        script.write_text(RANGE_SCRIPT.format(size=FILE_BYTES, length=RANGE_BYTES))
        nginx_port, grpc_port, http_port, bare_port = free_port(), free_port(), free_port(), free_port()
        env = {
            **os.environ,
            "MEDIA_PORT": str(grpc_port),
            "MEDIA_HTTP_PORT": str(http_port),
            "MEDIA_ALLOWED_ROOTS": str(root / "media"),
            "MEDIA_DATA_DIR": str(root / "data"),
            "MEDIA_URL_SIGNING_KEY": "bench-signing-key-0123456789",
            "MEDIA_LOG_LEVEL": "WARNING",
        }
        nginx = start_nginx(root, nginx_port)
        media = subprocess.Popen([sys.executable, "-m", "tstudio_media"], env=env)
        bare = subprocess.Popen([sys.executable, "-c", BARE_AIOHTTP, str(bare_port), str(video)])
        try:
            ours_url = asyncio.run(media_stream_url(grpc_port, video))
            nginx_url = f"http://127.0.0.1:{nginx_port}/big.mp4"
            bare_url = f"http://127.0.0.1:{bare_port}/big.mp4"
            if not wait_until(lambda: listening(bare_port), timeout=30):
                raise SystemExit("the bare aiohttp server did not start")
            results: dict[str, list[tuple[float, float]]] = {
                k: [] for k in ("nw", "ow", "bw", "nr", "or", "br")
            }
            for _ in range(ROUNDS):  # alternate, so drifting machine load hits all three
                results["nw"].append(wrk(nginx_url))
                results["ow"].append(wrk(ours_url))
                results["bw"].append(wrk(bare_url))
                results["nr"].append(wrk(nginx_url, script))
                results["or"].append(wrk(ours_url, script))
                results["br"].append(wrk(bare_url, script))
        finally:
            for server in (media, nginx, bare):
                server.terminate()
            for server in (media, nginx, bare):
                server.wait(15)

    def gbit(key: str) -> float:
        return statistics.median(b for _, b in results[key]) * 8 / 1e9

    def rps(key: str) -> float:
        return statistics.median(r for r, _ in results[key])

    print(
        f"{FILE_BYTES // 2**20} MiB file, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, median of {ROUNDS} alternating rounds"
    )
    print(
        f"whole file   nginx {gbit('nw'):6.2f} Gbit/s   media {gbit('ow'):6.2f} Gbit/s   ratio {gbit('ow') / gbit('nw'):5.0%}"
    )
    print(
        f"1 MiB ranges nginx {rps('nr'):7.0f} req/s   media {rps('or'):7.0f} req/s   ratio {rps('or') / rps('nr'):5.0%}"
    )
    print(
        f"bare aiohttp FileResponse (ceiling of aiohttp's own path): whole file {gbit('bw'):6.2f} Gbit/s"
        f" ({gbit('bw') / gbit('nw'):.0%}), 1 MiB ranges {rps('br'):7.0f} req/s ({rps('br') / rps('nr'):.0%})"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("targets: >= 90% of nginx on whole files, >= 80% on 1 MiB ranges")


if __name__ == "__main__":
    main()
