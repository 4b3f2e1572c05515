"""Invoked commands counted by command and status on the process's Prometheus registry."""

from __future__ import annotations

from prometheus_client import REGISTRY, generate_latest
from svckit.bus import InProcessBus
from tstudio_gateway.adapters.http_metrics import HttpMetrics

from .conftest import MediaProcess, start_gateway

COUNTER = "tstudio_gateway_commands_total"


def commands() -> dict[tuple[str, str], float]:
    """(command, status) -> count, parsed from a scrape of the registry."""
    counts = {}
    for line in generate_latest(REGISTRY).decode().splitlines():
        if line.startswith(COUNTER + "{"):
            labels, value = line.rsplit(" ", 1)
            fields = dict(item.split("=", 1) for item in labels[len(COUNTER) + 1 : -1].split(","))
            counts[(fields["command"].strip('"'), fields["status"].strip('"'))] = float(value)
    return counts


async def test_commands_are_counted_by_qualified_name_and_status(media_service: MediaProcess) -> None:
    before = commands()
    async for gateway in start_gateway(media_service, None, InProcessBus(), metrics=HttpMetrics()):
        assert (await gateway.invoke("probe_media_file", {"path": str(media_service.video)})).status == 200
        assert (await gateway.invoke("media.probe", {"path": 1})).status == 400
        assert (await gateway.invoke("no_such_command_xyz", {})).status == 404
    after = commands()
    for key in (("media.probe", "200"), ("media.probe", "400"), ("unknown", "404")):
        assert after.get(key, 0.0) == before.get(key, 0.0) + 1, (key, after)
    assert not any(command == "no_such_command_xyz" for command, _ in after)
    # A second HttpMetrics in the same process reuses the registered metrics.
    assert HttpMetrics().commands is HttpMetrics().commands
