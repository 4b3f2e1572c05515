"""`tstudio render PROJECT.json [-o OUT] [--preview] [--compiler HOST:PORT]`: render a project file
through the running compiler (found as `tstudio_cli.endpoints` says) with a progress bar on stderr;
Ctrl-C cancels the job (its output is removed). A preview without `-o` goes to `OUT.preview.EXT`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

import grpc
from google.protobuf import json_format
from svckit.errors import InvalidArgument
from svckit.grpc_errors import error_details
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2

from tstudio_cli.endpoints import Endpoints, add_endpoint_arguments, resolve
from tstudio_cli.frontend_schema import import_frontend_schema, read_frontend_schema
from tstudio_cli.project_file import load_project, preview_path

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
    add_endpoint_arguments(parser, "compiler", aliases={"compiler": ["--server"]})
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render from scratch: the segment cache is neither read nor written",
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="the preview profile: at most 360 pixels tall, a fast preset, lower quality; written beside "
        "the output as NAME.preview.EXT unless -o is given",
    )
    parser.set_defaults(func=run)


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
        project = (
            project_pb2.Project() if schema else load_project(args.project, args.output, preview=args.preview)
        )
    except (OSError, json_format.ParseError) as exc:
        print(f"tstudio render: cannot read {args.project}: {exc}", file=err)
        return 2
    except InvalidArgument as exc:
        report_invalid(f"tstudio render: {args.project}", exc, err)
        return 2
    if getattr(args, "server", None) and not getattr(args, "compiler", None):
        args.compiler = args.server  # a Namespace built by hand with the older name
    endpoints = resolve(args)
    with grpc.insecure_channel(endpoints.compiler) as channel:
        stub = compiler_pb2_grpc.CompilerServiceStub(channel)
        if schema:
            try:
                final = args.project.with_suffix(".mp4")
                output = args.output or (preview_path(final) if args.preview else final)
                project, notes = import_frontend_schema(stub, schema, args.project, output)
            except grpc.RpcError as exc:
                report_rpc_error("tstudio render", exc, endpoints, "compiler", err)
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
            report_rpc_error("tstudio render", exc, endpoints, "compiler", err)
            return 1
    print(file=err)
    if job is None or job.status != compiler_pb2.JOB_STATUS_SUCCEEDED:
        print(f"tstudio render: {job.error if job else 'no reply'}", file=err)
        return 1
    result = job.result
    print(
        f"rendered {result.frames} frames, {result.duration_seconds:.2f} s in {time.monotonic() - started:.1f} s"
        f"; {encoder_note(result.video_encoder, result.hardware_fallback_reason)}"
        + (
            f"; {result.segments_reused} of {result.segments_total} segments from the cache"
            if result.segments_total
            else ""
        ),
        file=err,
    )
    print(result.output_path)
    return 0


def encoder_note(encoder: str, fallback_reason: str) -> str:
    """The encoder in one line: "no hardware encoder; libx264 used" for a fallback, rather than the
    errno text of every encoder tried (that stays in `tstudio doctor --json`)."""
    return f"no hardware encoder; {encoder} used" if fallback_reason else f"encoded with {encoder}"


def print_violations(
    prefix: str, code: str, message: str, violations: list[tuple[str, str]], err: TextIO
) -> None:
    """Each problem said once: one line for one, else a count and a line per field."""
    if len(violations) == 1:
        field, description = violations[0]
        print(f"{prefix}: {code}: {field + ': ' if field else ''}{description}", file=err)
    elif violations:
        print(f"{prefix}: {code}: {len(violations)} problems:", file=err)
        for field, description in violations:
            print(f"  {field or '(project)'}: {description}", file=err)
    else:
        print(f"{prefix}: {code}: {message}", file=err)


def report_invalid(prefix: str, exc: InvalidArgument, err: TextIO) -> None:
    found = [(v.field, v.description) for v in exc.details.field_violations]
    print_violations(prefix, "INVALID_ARGUMENT", exc.message, found, err)


def report_rpc_error(
    prefix: str, exc: grpc.RpcError, endpoints: Endpoints, service: str, err: TextIO
) -> None:
    """A gRPC error for a person: a refused connection says how to start the suite; an invalid
    request lists its field violations once."""
    if exc.code() is grpc.StatusCode.UNAVAILABLE:
        print(f"{prefix}: {endpoints.unreachable(service)}", file=err)
        return
    rich = error_details(exc)
    found = [(v.field, v.description) for v in rich.field_violations]
    print_violations(prefix, rich.code.name, rich.message, found, err)
    for resource in rich.resources:
        print(f"  {resource.type} {resource.name} {resource.description}".rstrip(), file=err)
