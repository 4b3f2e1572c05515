"""`python -m tstudio_gateway` as `tstudio up` starts it, and `tstudio invoke` through it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from svckit.testing import free_port, wait_until

from .conftest import TOKEN, Gateway, GatewayProcess, MediaProcess, healthy

TSTUDIO = str(Path(sys.executable).parent / "tstudio")


def invoke(
    gateway: GatewayProcess, *args: str, token_env: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TSTUDIO_TOKEN"}
    if token_env is not None:
        env["TSTUDIO_TOKEN"] = token_env
    return subprocess.run(
        [TSTUDIO, "invoke", *args, "--gateway", gateway.url, "--data-dir", str(gateway.data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_dev_token_is_made_private_to_its_owner(gateway_process: GatewayProcess) -> None:
    token_file = gateway_process.data_dir / "gateway" / "dev-token"
    assert token_file.read_text().strip().startswith("tsd_")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_cli_invoke_probe_prints_the_result(
    gateway_process: GatewayProcess, media_service: MediaProcess
) -> None:
    result = invoke(gateway_process, "probe_media_file", json.dumps({"path": str(media_service.video)}))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)["info"]
    assert info["size_bytes"] == str(media_service.video.stat().st_size)


def test_cli_invoke_reports_errors_with_their_details(gateway_process: GatewayProcess) -> None:
    unknown = invoke(gateway_process, "probe_media_fil", "{}")
    assert unknown.returncode == 1
    assert "did you mean: probe_media_file" in unknown.stderr
    wrong = invoke(gateway_process, "probe", '{"path": 3}')
    assert wrong.returncode == 1 and "path:" in wrong.stderr
    usage = invoke(gateway_process, "probe", "{nope")
    assert usage.returncode == 2
    down = invoke(gateway_process, "compiler.list_effects", "{}")
    assert down.returncode == 1 and "503" in down.stderr
    denied = invoke(gateway_process, "probe", "{}", token_env="wrong")
    assert denied.returncode == 1 and "401" in denied.stderr


def test_cli_lists_commands(gateway_process: GatewayProcess) -> None:
    listing = invoke(gateway_process, "--list")
    assert listing.returncode == 0, listing.stderr
    assert "media.probe, probe, probe_media_file" in listing.stdout
    # Every Timeline Studio name has its RPC now, so none is listed as still to come.
    # prerender_segment is the frontend's command now; the RPC answers to its qualified name.
    assert "compiler.prerender_segment\n" in listing.stdout
    assert "Timeline Studio commands (the frontend's shapes): " in listing.stdout
    assert "prerender_segment" in listing.stdout.rsplit("Timeline Studio commands", 1)[1]
    assert "not available yet:" not in listing.stdout


def test_sigterm_stops_the_gateway_cleanly(media_service: MediaProcess, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_DEV_TOKEN": "x",
    }
    process = subprocess.Popen([sys.executable, "-m", "tstudio_gateway"], env=env, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: healthy(f"http://127.0.0.1:{port}"), timeout=30)
        assert not (tmp_path / "dev-token").exists()  # a configured dev token is not written anywhere
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_no_way_in_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_ENABLE_DEV_TOKEN": "false",
        "GATEWAY_TOKENS": "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tstudio_gateway"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "GATEWAY_TOKENS is empty" in result.stderr
    assert not (tmp_path / "dev-token").exists()


async def test_cli_invoke_streams_a_render_line_by_line(gateway: Gateway, tmp_path: Path) -> None:
    output = tmp_path / "cli.mp4"
    args = json.dumps({"project": {"output": {"path": str(output)}}})
    process = await asyncio.create_subprocess_exec(
        TSTUDIO,
        "invoke",
        "render",
        args,
        "--gateway",
        gateway.url,
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    lines = [json.loads(line) for line in stdout.decode().splitlines()]
    assert len(lines) >= 3
    assert lines[-1]["job"]["status"] == "JOB_STATUS_SUCCEEDED"
    assert output.exists()
