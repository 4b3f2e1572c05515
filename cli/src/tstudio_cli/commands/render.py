"""`tstudio render PROJECT.json [-o OUT] [--server HOST:PORT]`: render a project file through the
running compiler with a progress bar on stderr; Ctrl-C cancels the job (its output is removed)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

import grpc
from google.protobuf import json_format
from svckit.grpc_errors import error_details
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2

from tstudio_cli.frontend_schema import import_frontend_schema, read_frontend_schema

_STAGES = {
    common_pb2.STAGE_QUEUED: "queued",
    common_pb2.STAGE_PREPARING: "preparing",
    common_pb2.STAGE_RUNNING: "rendering",
    common_pb2.STAGE_FINALIZING: "finishing",
    common_pb2.STAGE_COMPLETED: "done",
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("render", help="render a project file through the compiler")
    parser.add_argument(
        "project",
        type=Path,
        help="project JSON (tstudio.compiler.v1.Project, or a Timeline Studio ProjectSchema)",
    )
    parser.add_argument("-o", "--output", type=Path, help="output file (overrides output.path)")
    parser.add_argument("--server", default="127.0.0.1:50051", help="compiler address (HOST:PORT)")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render from scratch: the segment cache is neither read nor written",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="the preview profile: at most 360 pixels tall, a fast preset, lower quality",
    )
    parser.set_defaults(func=run)


def load_project(path: Path, output: Path | None) -> project_pb2.Project:
    """The project file as a message; relative paths resolve against the file's folder."""
    project = json_format.Parse(path.read_text(), project_pb2.Project())
    project.base_dir = str(path.resolve().parent)
    if output is not None:
        project.output.path = str(output.resolve())
    return project


def progress_line(job: compiler_pb2.RenderJob) -> str:
    p = job.progress
    filled = int(p.percent / 100 * 30)
    bar = "#" * filled + "." * (30 - filled)
    eta = f"  ETA {p.eta_seconds:4.0f}s" if p.eta_seconds >= 0 and p.stage == common_pb2.STAGE_RUNNING else ""
    stage = _STAGES.get(p.stage, "")
    return f"\r[{bar}] {p.percent:5.1f}%  {p.done}/{p.total} frames  {p.rate:5.1f} fps{eta}  {stage:<10}"


def run(args: argparse.Namespace, err: TextIO = sys.stderr) -> int:
    try:
        schema = read_frontend_schema(args.project)
        project = project_pb2.Project() if schema else load_project(args.project, args.output)
    except (OSError, json_format.ParseError) as exc:
        print(f"tstudio render: cannot read {args.project}: {exc}", file=err)
        return 2
    with grpc.insecure_channel(args.server) as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        if schema:
            try:
                project, notes = import_frontend_schema(stub, schema, args.project, args.output)
            except grpc.RpcError as exc:
                _report(exc, err)
                return 1
            for note in notes:
                print(f"note: {note}", file=err)
        job: compiler_pb2.RenderJob | None = None
        profile = compiler_pb2.RENDER_PROFILE_PREVIEW if args.preview else compiler_pb2.RENDER_PROFILE_FINAL
        call = stub.Render(
            compiler_pb2.RenderRequest(project=project, no_cache=args.no_cache, profile=profile)
        )
        started = time.monotonic()
        try:
            for reply in call:
                job = reply.job
                print(progress_line(job), end="", file=err, flush=True)
        except KeyboardInterrupt:
            print("\ncancelling ...", file=err, flush=True)
            call.cancel()
            if job is not None:
                reply = stub.CancelRender(compiler_pb2.CancelRenderRequest(job_id=job.id), timeout=10)
                print(f"job {job.id}: {compiler_pb2.JobStatus.Name(reply.job.status)}", file=err)
            return 130
        except grpc.RpcError as exc:
            print(file=err)
            _report(exc, err)
            return 1
    print(file=err)
    if job is None or job.status != compiler_pb2.JOB_STATUS_SUCCEEDED:
        print(f"tstudio render: {job.error if job else 'no reply'}", file=err)
        return 1
    result = job.result
    note = f" ({result.hardware_fallback_reason})" if result.hardware_fallback_reason else ""
    print(
        f"rendered {result.frames} frames, {result.duration_seconds:.2f} s with {result.video_encoder}{note}"
        f" in {time.monotonic() - started:.1f} s",
        file=err,
    )
    print(result.output_path)
    return 0


def _report(exc: grpc.RpcError, err: TextIO) -> None:
    rich = error_details(exc)
    print(f"tstudio render: {rich.code.name}: {rich.message}", file=err)
    for violation in rich.field_violations:
        print(f"  {violation.field}: {violation.description}", file=err)
    for resource in rich.resources:
        print(f"  {resource.type} {resource.name} {resource.description}".rstrip(), file=err)
