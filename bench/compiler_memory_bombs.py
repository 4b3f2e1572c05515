"""Peak compiler memory on the two memory bombs of issue 15 (item 4), each rendered in a fresh
process: a ~1 MB RGBA PNG declaring 16000x16000 on an overlay track, and 200 lines of text at font size
1000. Prints the outcome and the peak RSS of the compiler process (goal < 1 GB).

`--before DIR` also runs each bomb against another source tree (e.g. `git archive <commit> | tar -x
-C DIR`): its compiler and svckit sources are put first on the path, the baseline of the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

TEXT = "\n".join(f"line {i} of a very long text" for i in range(200))


def edit(kind: str, folder: Path) -> dict:  # type: ignore[type-arg]
    if kind == "png":
        source: dict = {"path": os.environ["BOMB_PNG"]}  # type: ignore[type-arg]
    else:
        source = {"text": {"text": TEXT, "fontSize": 1000}}
    clip = {"id": "o", "source": source, "start": 0, "duration": 0.5}
    return {
        "settings": {"width": 1280, "height": 720, "fps": 30},
        "tracks": [
            {
                "id": "bg",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "bg", "source": {"color": {"color": "#000000"}}, "start": 0, "duration": 0.5}
                ],
            },
            {"id": "o", "kind": "TRACK_KIND_OVERLAY", "clips": [clip]},
        ],
        "output": {"path": str(folder / "out.mp4")},
    }


async def child(kind: str) -> None:
    from google.protobuf import json_format
    from svckit.bus import InProcessBus
    from svckit.errors import ServiceError
    from svckit.executor import BlockingExecutor
    from tstudio.compiler.v1 import project_pb2
    from tstudio_compiler.api.convert import project_from_proto
    from tstudio_compiler.composition import build_compiler
    from tstudio_compiler.settings import CompilerSettings

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        message = json_format.Parse(json.dumps(edit(kind, folder)), project_pb2.Project())
        compiler = build_compiler(
            CompilerSettings(port=0, data_dir=folder / "data"), InProcessBus(), BlockingExecutor(2)
        )
        try:
            job = await compiler.submit(project_from_proto(message))
            async for view in compiler.jobs.watch(job.id):
                job = view
            outcome = f"{job.status.name} {job.error}".strip()
        except ServiceError as exc:
            outcome = f"refused {exc.code.value}: {exc.message}"
        await compiler.jobs.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "outcome": outcome[:160], "peak_mb": round(peak)}))


def _cap_memory() -> None:
    # The old code took all 24 GB of the machine on the text bomb (a global OOM kill): cap each
    # child's address space so a bomb fails alone.
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


CAP_BYTES = 12 * 1024**3


def run(kind: str, tree: Path | None) -> dict:  # type: ignore[type-arg]
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [
                str(tree / "services/compiler/src"),
                str(tree / "libs/svckit/src"),
                str(Path(__file__).parent.parent / "libs/svckit/src"),
            ]
        )
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_cap_memory,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {
            "kind": kind,
            "outcome": f"crashed (exit {done.returncode}) {done.stderr[-200:]}",
            "peak_mb": -1,
        }
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--before", type=Path)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child))
        return
    from svckit.testing import make_png_bomb

    scratch = tempfile.TemporaryDirectory()
    os.environ["BOMB_PNG"] = str(make_png_bomb(Path(scratch.name) / "bomb.png", rgba=True))
    print(f"PNG bomb: {Path(os.environ['BOMB_PNG']).stat().st_size} bytes declaring 16000x16000 RGBA")
    for kind in ("png", "text"):
        now = run(kind, None)
        line = f"{kind:5} now:    peak {now['peak_mb']:>5} MB  {now['outcome']}"
        if args.before:
            before = run(kind, args.before)
            ratio = now["peak_mb"] / before["peak_mb"] if before["peak_mb"] > 0 else float("nan")
            line += f"\n{kind:5} before: peak {before['peak_mb']:>5} MB  {before['outcome']}\n      ratio now/before {ratio:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
