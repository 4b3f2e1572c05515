"""`tstudio probe FILE...`: ask the media service what a file is and print it as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from svckit.grpc_errors import error_details
from tstudio.media.v1 import media_pb2, media_pb2_grpc

from tstudio_cli.endpoints import add_endpoint_arguments, resolve


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("probe", help="print a media file's metadata as JSON")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_endpoint_arguments(parser, "media", aliases={"media": ["--server"]})
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    endpoints = resolve(args)
    address = endpoints.media
    failed = 0
    with grpc.insecure_channel(address) as channel:
        stub = media_pb2_grpc.MediaServiceStub(channel)
        for path in args.files:
            # The service resolves paths on its own machine, so send an absolute one.
            request = media_pb2.ProbeRequest(path=str(path.expanduser().absolute()))
            try:
                reply = stub.Probe(request, timeout=args.timeout)
            except grpc.RpcError as exc:
                if exc.code() is grpc.StatusCode.UNAVAILABLE:
                    print(f"tstudio probe: {endpoints.unreachable('media')}", file=sys.stderr)
                    return 3
                failed += 1
                print(json.dumps(_error_json(path, exc), indent=2), file=sys.stderr)
                continue
            print(json.dumps(json_format.MessageToDict(reply.info), indent=2))
    return 1 if failed else 0


def _error_json(path: Path, exc: grpc.RpcError) -> dict[str, Any]:
    rich = error_details(exc)
    out: dict[str, Any] = {"file": str(path), "code": rich.code.name, "message": rich.message}
    if rich.reason:
        out["reason"] = rich.reason
    if rich.field_violations:
        out["fieldViolations"] = [
            {"field": v.field, "description": v.description} for v in rich.field_violations
        ]
    return out
