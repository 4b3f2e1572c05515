"""Composition root: `python -m tstudio_security` (settings from SECURITY_* variables)."""

from __future__ import annotations

import asyncio
import logging
import sys

from svckit.bootstrap import prepare_process
from svckit.bus import connect_bus
from svckit.errors import ServiceError
from svckit.server import serve
from svckit.settings import SettingsError, load_settings

from tstudio_security.deps import build_deps
from tstudio_security.server import create_server
from tstudio_security.settings import SecuritySettings

log = logging.getLogger("tstudio_security")


async def main() -> None:
    settings = load_settings(SecuritySettings, "SECURITY")
    prepare_process("security", settings)
    bus = await connect_bus(settings.nats_url, name="security")
    # Opening the store proves the master key and finishes an interrupted rotation before serving.
    deps = build_deps(settings, bus)
    handle = create_server(settings, deps)
    refresher = None
    if settings.oauth_refresh_interval_seconds > 0:
        refresher = asyncio.create_task(deps.oauth.keep_fresh(settings.oauth_refresh_interval_seconds))

    async def stop_refresher() -> None:
        if refresher is not None:
            refresher.cancel()
            await asyncio.gather(refresher, return_exceptions=True)

    await serve(handle, settings, on_shutdown=[stop_refresher, deps.close, bus.close])


def run() -> int:
    """Exit 2 with one clear line when start-up is impossible (missing setting, wrong master key)."""
    try:
        asyncio.run(main())
    except (SettingsError, ServiceError, ValueError) as exc:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO)
        log.error("cannot start the security service: %s", getattr(exc, "message", str(exc)))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run())
