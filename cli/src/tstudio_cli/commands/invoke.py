"""`tstudio invoke COMMAND '{json}'`: call any gateway command, the way the frontend does.

The gateway and the token are found as `tstudio_cli.endpoints` says (--gateway/--token, then
TSTUDIO_GATEWAY/TSTUDIO_TOKEN, then the state file of a running `tstudio up` with its dev token),
or the dev token in --data-dir/gateway/dev-token when that is given. Streaming commands print one JSON object per line as they arrive.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tstudio_cli.endpoints import Endpoints, add_endpoint_arguments, resolve

EXIT_ERROR, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "invoke",
        help='call a command through the gateway (e.g. probe_media_file \'{"path": "a.mp4"}\')',
        description="Call a gateway command with JSON arguments and print its JSON result.",
    )
    parser.add_argument("command", nargs="?", help="command name: probe, media.probe, probe_media_file ...")
    parser.add_argument(
        "args", nargs="?", default="{}", help="JSON object of arguments, @FILE to read one, - for stdin"
    )
    add_endpoint_arguments(parser, "gateway")
    parser.add_argument("--data-dir", type=Path, default=None, help="as given to `tstudio up`")
    parser.add_argument("--timeout", type=float, default=None, help="deadline in seconds")
    parser.add_argument("--list", action="store_true", help="list the commands the gateway knows")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    endpoints = resolve(args)
    explicit = args.token or os.environ.get("TSTUDIO_TOKEN")
    token = (not explicit and args.data_dir and _dev_token(args.data_dir)) or endpoints.token
    base = endpoints.gateway
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if args.list:
        return _list(base, headers, endpoints)
    if not args.command:
        print("tstudio invoke: a COMMAND is required (or --list)", file=sys.stderr)
        return EXIT_USAGE
    try:
        body = _arguments(args.args)
    except (ValueError, OSError) as exc:
        print(f"tstudio invoke: {exc}", file=sys.stderr)
        return EXIT_USAGE
    headers["Content-Type"] = "application/json"
    if args.timeout is not None:
        headers["X-Request-Timeout"] = str(args.timeout)
    url = f"{base}/api/v1/invoke/{urllib.parse.quote(args.command, safe='.')}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=_socket_timeout(args.timeout)) as reply:
            if reply.headers.get("Content-Type", "").startswith("application/x-ndjson"):
                return _print_stream(reply)
            print(json.dumps(json.load(reply), indent=2))
            return 0
    except urllib.error.HTTPError as exc:
        return _print_error(exc)
    except BrokenPipeError:
        # Our reader went away (`| head`): not the gateway's fault, nothing more to say.
        sys.stderr.close()
        return 0
    except (urllib.error.URLError, OSError) as exc:
        print(f"tstudio invoke: {endpoints.unreachable('gateway')} ({exc})", file=sys.stderr)
        return EXIT_UNREACHABLE


def _arguments(raw: str) -> Any:
    if raw == "-":
        raw = sys.stdin.read()
    elif raw.startswith("@"):
        raw = Path(raw[1:]).read_text()
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"the arguments are not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError("the arguments must be a JSON object")
    return value


def _dev_token(data_dir: Path) -> str:
    path = data_dir / "gateway" / "dev-token"
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _socket_timeout(deadline: float | None) -> float:
    # Streams (renders) run long; the gateway enforces the real deadline.
    return (deadline + 5.0) if deadline else 3600.0


def _print_stream(reply: Any) -> int:
    status = 0
    for raw in reply:
        line = raw.decode().strip()
        if not line:
            continue
        message = json.loads(line)
        if "error" in message and len(message) == 1:
            _describe_error(message["error"])
            status = EXIT_ERROR
        else:
            print(line, flush=True)
    return status


def _print_error(exc: urllib.error.HTTPError) -> int:
    try:
        error = json.load(exc)["error"]
    except (ValueError, KeyError, TypeError):
        print(f"tstudio invoke: HTTP {exc.code} {exc.reason}", file=sys.stderr)
        return EXIT_ERROR
    _describe_error(error)
    return EXIT_ERROR


def _describe_error(error: dict[str, Any]) -> None:
    violations = error.get("field_violations", [])
    # The message repeats the first violation; with a list, say each one once.
    message = f"{len(violations)} problems:" if len(violations) > 1 else error.get("message", "")
    print(f"error {error.get('status', '')} {error.get('code', '')}: {message}", file=sys.stderr)
    for violation in violations:
        print(f"  {violation.get('field') or '(body)'}: {violation.get('description')}", file=sys.stderr)
    if error.get("near_names"):
        print(f"  did you mean: {', '.join(error['near_names'])}", file=sys.stderr)
    if error.get("retry_after_seconds") is not None:
        print(f"  retry after {error['retry_after_seconds']:.1f}s", file=sys.stderr)


def _list(base: str, headers: dict[str, str], endpoints: Endpoints) -> int:
    request = urllib.request.Request(f"{base}/api/v1/commands", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            catalogue = json.load(reply)
    except urllib.error.HTTPError as exc:
        return _print_error(exc)
    except (urllib.error.URLError, OSError) as exc:
        print(f"tstudio invoke: {endpoints.unreachable('gateway')} ({exc})", file=sys.stderr)
        return EXIT_UNREACHABLE
    for command in catalogue["commands"]:
        names = [command["name"]] + ([command["short_name"]] if command.get("short_name") else [])
        names += command.get("aliases", [])
        stream = " (stream)" if command.get("streaming") else ""
        print(f"{', '.join(names)}{stream}")
    translated = sorted(catalogue.get("timeline_studio", {}))
    if translated:
        print(f"\nTimeline Studio commands (the frontend's shapes): {', '.join(translated)}")
    pending = [a for a, info in catalogue.get("aliases", {}).items() if not info["available"]]
    if pending:
        print(f"\nnot available yet: {', '.join(pending)}")
    return 0
