"""`tstudio plugin list|install DIR|remove ID`: manage the compiler's WASM plugins (docs/plugins.md)
through its ListPlugins, InstallPlugin and RemovePlugin RPCs."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import grpc
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc

from tstudio_cli.commands.render import report_rpc_error
from tstudio_cli.endpoints import add_endpoint_arguments, resolve

MANIFEST_NAME = "plugin.toml"
_KINDS = {compiler_pb2.PLUGIN_KIND_EFFECT: "effect", compiler_pb2.PLUGIN_KIND_TRANSITION: "transition"}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("plugin", help="list, install or remove WASM plugins of the compiler")
    add_endpoint_arguments(parser, "compiler", aliases={"compiler": ["--address"]})
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="installed plugins, with their calls and faults")
    install = actions.add_parser("install", help="install a plugin folder (plugin.toml + .wasm/.wat)")
    install.add_argument("folder", type=Path, metavar="DIR")
    install.add_argument("--replace", action="store_true", help="replace an installed plugin of the same id")
    remove = actions.add_parser("remove", help="remove an installed plugin")
    remove.add_argument("plugin_id", metavar="ID")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "install":
            request = read_folder(args.folder)
            request.replace = args.replace
    except (OSError, ValueError) as exc:
        print(f"tstudio plugin: cannot read {args.folder}: {exc}", file=sys.stderr)
        return 2
    endpoints = resolve(args)
    try:
        with grpc.insecure_channel(endpoints.compiler) as channel:
            stub = compiler_pb2_grpc.CompilerServiceStub(channel)
            if args.action == "list":
                show_list(stub)
            elif args.action == "install":
                plugin = stub.InstallPlugin(request, timeout=60).plugin
                print(
                    f"installed {plugin.id} {plugin.version} ({_KINDS.get(plugin.kind, '?')}): {plugin.type}"
                )
            else:
                stub.RemovePlugin(compiler_pb2.RemovePluginRequest(plugin_id=args.plugin_id), timeout=30)
                print(f"removed {args.plugin_id}")
    except grpc.RpcError as exc:
        report_rpc_error("tstudio plugin", exc, endpoints, "compiler", sys.stderr)
        return 1
    return 0


def read_folder(folder: Path) -> compiler_pb2.InstallPluginRequest:
    """The manifest as written and the module it names; the compiler validates both."""
    manifest = (folder / MANIFEST_NAME).read_bytes()
    try:
        module_name = tomllib.loads(manifest.decode())["module"]
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{MANIFEST_NAME} names no module ({exc})") from None
    if not isinstance(module_name, str) or Path(module_name).name != module_name:
        raise ValueError(f"{MANIFEST_NAME}: module must be a file name beside it, not {module_name!r}")
    return compiler_pb2.InstallPluginRequest(manifest=manifest, module=(folder / module_name).read_bytes())


def show_list(stub: compiler_pb2_grpc.CompilerServiceStub) -> None:
    plugins = stub.ListPlugins(compiler_pb2.ListPluginsRequest(), timeout=30).plugins
    if not plugins:
        print("no plugins installed")
        return
    stats = {
        s.plugin_id: s for s in stub.GetPluginStats(compiler_pb2.GetPluginStatsRequest(), timeout=30).stats
    }
    print(f"{'ID':<20} {'VERSION':<10} {'KIND':<11} {'CALLS':>8} {'FAULTS':>7}  NAME")
    for p in plugins:
        s = stats.get(p.id)
        calls, faults = (s.calls, s.faults) if s else (0, 0)
        print(f"{p.id:<20} {p.version:<10} {_KINDS.get(p.kind, '?'):<11} {calls:>8} {faults:>7}  {p.name}")
