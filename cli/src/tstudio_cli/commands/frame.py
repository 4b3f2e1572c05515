"""`tstudio frame PROJECT.json -t 2.5 -o f.png`: one frame of a timeline, rendered by the compiler."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format
from svckit.errors import InvalidArgument
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc

from tstudio_cli.commands.render import report_invalid, report_rpc_error
from tstudio_cli.endpoints import add_endpoint_arguments, resolve
from tstudio_cli.project_file import load_project

_FORMATS = {
    ".png": compiler_pb2.IMAGE_FORMAT_PNG,
    ".jpg": compiler_pb2.IMAGE_FORMAT_JPEG,
    ".jpeg": compiler_pb2.IMAGE_FORMAT_JPEG,
    ".webp": compiler_pb2.IMAGE_FORMAT_WEBP,
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("frame", help="render one frame of a project file to an image")
    parser.add_argument("project", type=Path, help="project JSON (tstudio.compiler.v1.Project)")
    parser.add_argument("-t", "--time", type=float, required=True, help="timeline time in seconds")
    parser.add_argument("-o", "--output", type=Path, required=True, help="image file: .png, .jpg or .webp")
    parser.add_argument("--width", type=int, default=0, help="image width (default: the project's)")
    add_endpoint_arguments(parser, "compiler")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    image_format = _FORMATS.get(args.output.suffix.lower())
    if image_format is None:
        print(f"tstudio frame: -o must end in {', '.join(_FORMATS)}", file=sys.stderr)
        return 2
    try:
        project = load_project(args.project)
    except (OSError, json_format.ParseError) as exc:
        print(f"tstudio frame: cannot read {args.project}: {exc}", file=sys.stderr)
        return 2
    except InvalidArgument as exc:
        report_invalid(f"tstudio frame: {args.project}", exc, sys.stderr)
        return 2
    endpoints = resolve(args)
    request = compiler_pb2.RenderFrameRequest(
        project=project, time=args.time, width=args.width, format=image_format
    )
    try:
        with grpc.insecure_channel(endpoints.compiler) as channel:
            reply = compiler_pb2_grpc.CompilerServiceStub(channel).RenderFrame(request, timeout=120)
    except grpc.RpcError as exc:
        report_rpc_error("tstudio frame", exc, endpoints, "compiler", sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(reply.image)
    print(f"frame at {reply.time:.3f} s, {reply.width}x{reply.height} -> {args.output}", file=sys.stderr)
    print(args.output)
    return 0
