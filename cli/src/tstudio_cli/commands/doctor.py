"""`tstudio doctor`: every service's health and diagnostics, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import grpc
from google.protobuf import json_format
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio.media.v1 import media_pb2, media_pb2_grpc
from tstudio.recognition.v1 import recognition_pb2, recognition_pb2_grpc
from tstudio.security.v1 import security_pb2, security_pb2_grpc

from tstudio_cli.encoder_summary import encoder_lines
from tstudio_cli.endpoints import Endpoints, add_endpoint_arguments, resolve
from tstudio_cli.suite import GATEWAY, GRPC_SERVICES, component_healthy, grpc_health_status

_DIAGNOSTICS: dict[str, tuple[Any, Any]] = {
    "compiler": (compiler_pb2_grpc.CompilerServiceStub, compiler_pb2.GetDiagnosticsRequest),
    "media": (media_pb2_grpc.MediaServiceStub, media_pb2.GetDiagnosticsRequest),
    "recognition": (recognition_pb2_grpc.RecognitionServiceStub, recognition_pb2.GetDiagnosticsRequest),
    "security": (security_pb2_grpc.SecurityServiceStub, security_pb2.GetDiagnosticsRequest),
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("doctor", help="print every service's health and diagnostics")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_endpoint_arguments(parser, "compiler", "media", "recognition", "security", "gateway")
    parser.set_defaults(func=run)


def collect(endpoints: Endpoints, timeout: float = 2.0) -> list[dict[str, Any]]:
    report: list[dict[str, Any]] = []
    for component in GRPC_SERVICES:
        address = getattr(endpoints, component.name)
        entry: dict[str, Any] = {"service": component.name, "address": address}
        entry["health"] = grpc_health_status(address, timeout)
        entry["diagnostics"] = _diagnostics(component.name, address, timeout)
        if component.name == "compiler" and "items" in (entry["diagnostics"] or {}):
            entry["encoders"] = encoder_lines(entry["diagnostics"]["items"])
        report.append(entry)
    gateway_address = endpoints.gateway.split("://", 1)[-1]
    report.append(
        {
            "service": GATEWAY.name,
            "address": endpoints.gateway,
            "health": "SERVING" if component_healthy(GATEWAY, gateway_address, timeout) else "UNREACHABLE",
            "diagnostics": None,
        }
    )
    return report


def _diagnostics(name: str, address: str, timeout: float) -> Any:
    stub_class, request_class = _DIAGNOSTICS[name]
    try:
        with grpc.insecure_channel(address) as channel:
            reply = stub_class(channel).GetDiagnostics(request_class(), timeout=timeout)
            return json_format.MessageToDict(reply.diagnostics)
    except grpc.RpcError as exc:
        return {"error": f"{exc.code().name}: {exc.details()}"}


def run(args: argparse.Namespace) -> int:
    endpoints = resolve(args)
    report = collect(endpoints)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
    if all(entry["health"] == "UNREACHABLE" for entry in report):
        print(f"tstudio doctor: {endpoints.unreachable('compiler')}", file=sys.stderr)
    return 0 if all(entry["health"] == "SERVING" for entry in report) else 1


def format_table(report: list[dict[str, Any]]) -> str:
    """A row per service, then every diagnostic item on its own line (none cut); the compiler's
    encoders as one line per codec: the one chosen and why hardware was passed over."""
    lines = [f"{'SERVICE':<12} {'ADDRESS':<24} {'HEALTH':<12}"]
    for entry in report:
        lines.append(f"{entry['service']:<12} {entry['address']:<24} {entry['health']:<12}")
        diagnostics = entry["diagnostics"] or {}
        if "error" in diagnostics:
            lines.append(f"    {diagnostics['error']}")
            continue
        items = diagnostics.get("items", [])
        if entry["service"] == "compiler":
            lines.extend(f"    encoder {line}" for line in encoder_lines(items))
            items = [i for i in items if not str(i.get("name", "")).startswith("encoder.")]
        lines.extend(f"    {i['name']} = {i.get('value', '')}" for i in items)
    return "\n".join(lines)
