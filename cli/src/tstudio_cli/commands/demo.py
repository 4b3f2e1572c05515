"""`tstudio demo`: generate demo media, start the suite, render the demo timeline through the
compiler and print the probed metadata of the result (and of its sources)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from tstudio_cli.commands.render import encoder_note
from tstudio_cli.commands.up import add_suite_arguments, describe, refuse_busy_ports, suite_from_args
from tstudio_cli.demo_media import write_demo
from tstudio_cli.project_file import load_project


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("demo", help="render the demo timeline with the suite started for you")
    parser.add_argument("--folder", type=Path, default=Path("demo"), help="where media and output go")
    add_suite_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder = args.folder.resolve()
    print(f"writing demo media into {folder} ...", flush=True)
    project_file = write_demo(folder)
    args.allow_root.append(folder)
    suite = suite_from_args(args)
    if refuse_busy_ports(suite, "tstudio demo"):
        return 1
    print("starting the suite ...", flush=True)
    try:
        suite.start()
    except (RuntimeError, TimeoutError) as exc:
        print(f"tstudio demo: {exc}", file=sys.stderr)
        return 1
    try:
        print(describe(suite), flush=True)
        media_address = suite.ports.address("media")
        for source in sorted((folder / "media").iterdir()):
            info = probe(media_address, source)
            print(f"probed {source.name}: {summarize(info)}")
        output = render(suite.ports.address("compiler"), project_file)
        if output is None:
            return 1
        print(json.dumps(json_format.MessageToDict(probe(media_address, output)), indent=2))
        print(f"rendered {output}")
        print(
            f"the timeline is {project_file}: edit it and run `tstudio up`, then `tstudio render {project_file}`"
            " (or `--preview`, or `tstudio frame ... -t 2.5 -o f.png`); every field is described in"
            " docs/timeline.md, and examples/ holds eight more timelines on these media"
        )
        return 0
    except grpc.RpcError as exc:
        print(f"tstudio demo: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        suite.stop()


def probe(address: str, path: Path) -> media_pb2.MediaInfo:
    with grpc.insecure_channel(address) as channel:
        reply = media_pb2_grpc.MediaServiceStub(channel).Probe(
            media_pb2.ProbeRequest(path=str(path)), timeout=30
        )
        return reply.info


def summarize(info: media_pb2.MediaInfo) -> str:
    parts = [f"{info.duration_seconds:.2f}s"]
    for stream in info.streams:
        if stream.width:
            parts.append(f"{stream.codec} {stream.width}x{stream.height}@{stream.fps:g}")
        elif stream.sample_rate:
            parts.append(f"{stream.codec} {stream.sample_rate}Hz/{stream.channels}ch")
    return ", ".join(parts)


def render(address: str, project_file: Path) -> Path | None:
    project = load_project(project_file)
    with grpc.insecure_channel(address) as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        job = None
        try:
            for reply in stub.Render(compiler_pb2.RenderRequest(project=project), timeout=600):
                job = reply.job
                progress = job.progress
                print(f"\rrendering: {progress.percent:5.1f}%  {progress.rate:5.1f} fps", end="", flush=True)
        except grpc.RpcError as exc:
            print()
            if exc.code() is grpc.StatusCode.UNIMPLEMENTED:
                print(
                    "the compiler cannot render yet (UNIMPLEMENTED); probed the sources only", file=sys.stderr
                )
            else:
                print(f"render failed: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return None
        print()
    if job is None or job.status != compiler_pb2.JOB_STATUS_SUCCEEDED:
        print(f"render did not succeed: {job.error if job else 'no reply'}", file=sys.stderr)
        return None
    print(encoder_note(job.result.video_encoder, job.result.hardware_fallback_reason))
    return Path(job.result.output_path or job.output_path)
