"""`tstudio relink PROJECT.json --search DIR [--apply]`: find a project's missing media and propose
(or write) new paths, through the compiler's RelinkMedia RPC.

When the compiler does not serve RelinkMedia (UNIMPLEMENTED) or is not running (UNAVAILABLE), the
same code runs in this process instead (`tstudio_compiler.scale`, installed in the workspace).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format
from svckit.errors import InvalidArgument
from svckit.json_input import parse_json
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_pb2

from tstudio_cli.endpoints import add_endpoint_arguments, resolve


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("relink", help="find moved or renamed media of a project")
    parser.add_argument(
        "project", type=Path, help="project file (proto3 JSON of tstudio.compiler.v1.Project)"
    )
    parser.add_argument(
        "--search",
        action="append",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to search (repeatable)",
    )
    parser.add_argument("--apply", action="store_true", help="rewrite the project file (a .bak copy is kept)")
    add_endpoint_arguments(parser, "compiler", aliases={"compiler": ["--address"]})
    parser.add_argument(
        "--local", action="store_true", help="do not ask the compiler; relink in this process"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project_file = args.project.resolve()
    try:
        project = parse_json(project_file.read_text(), project_pb2.Project())
    except (OSError, json_format.ParseError, InvalidArgument) as exc:
        print(f"tstudio relink: cannot read {args.project}: {exc}", file=sys.stderr)
        return 2
    had_base_dir = bool(project.base_dir)
    project.base_dir = project.base_dir or str(project_file.parent)
    request = compiler_pb2.RelinkMediaRequest(
        project=project, search_roots=[str(p.resolve()) for p in args.search], apply=args.apply
    )
    try:
        response = relink(resolve(args).compiler, request, local=args.local)
    except grpc.RpcError as exc:
        print(f"tstudio relink: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"tstudio relink: {exc}", file=sys.stderr)
        return 2
    report(response)
    if args.apply and response.proposals:
        write_project(project_file, response.project, keep_base_dir=had_base_dir)
        print(
            f"updated {args.project} ({len(response.proposals)} path(s); previous version in {args.project}.bak)"
        )
    return 1 if response.unresolved else 0


def relink(
    address: str, request: compiler_pb2.RelinkMediaRequest, local: bool
) -> compiler_pb2.RelinkMediaResponse:
    if not local:
        try:
            with grpc.insecure_channel(address) as channel:
                return compiler_pb2_grpc.CompilerServiceStub(channel).RelinkMedia(request, timeout=600)
        except grpc.RpcError as exc:
            if exc.code() not in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE):
                raise
            why = (
                "does not serve RelinkMedia"
                if exc.code() is grpc.StatusCode.UNIMPLEMENTED
                else "is not reachable"
            )
            print(f"compiler at {address} {why}; relinking in this process", file=sys.stderr)
    return asyncio.run(relink_in_process(request))


async def relink_in_process(request: compiler_pb2.RelinkMediaRequest) -> compiler_pb2.RelinkMediaResponse:
    try:
        from svckit.paths import AllowedRoots
        from tstudio_compiler.scale.api.relink_rpc import RelinkRpc
    except ImportError as exc:
        raise RuntimeError("the compiler package is not installed here; start the compiler instead") from exc

    async def run_blocking(fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(fn, *args)

    return await RelinkRpc(AllowedRoots(), run_blocking).relink_media(request)


def report(response: compiler_pb2.RelinkMediaResponse) -> None:
    if not response.proposals and not response.unresolved:
        print("no missing media")
        return
    for proposal in response.proposals:
        reasons = ", ".join(proposal.reasons)
        print(
            f"found    {proposal.missing.path} -> {proposal.new_path}  ({proposal.confidence:.2f}: {reasons})"
        )
    for missing in response.unresolved:
        print(f"missing  {missing.path}  (used by {', '.join(missing.fields)})")


def write_project(project_file: Path, project: project_pb2.Project, keep_base_dir: bool) -> None:
    """Write the relinked project atomically, keeping the previous file as .bak."""
    relinked = project_pb2.Project()
    relinked.CopyFrom(project)
    if not keep_base_dir:
        relinked.ClearField("base_dir")  # we added it for the request; the file's folder stays the base
    text = json.dumps(json_format.MessageToDict(relinked), indent=2) + "\n"
    shutil.copy2(project_file, project_file.with_name(project_file.name + ".bak"))
    tmp = project_file.with_name(f".{project_file.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, project_file)
