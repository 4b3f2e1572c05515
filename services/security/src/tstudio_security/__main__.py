"""Composition root: `python -m tstudio_security` (settings from SECURITY_* variables)."""

from __future__ import annotations

import asyncio

from svckit.bootstrap import prepare_process
from svckit.bus import connect_bus
from svckit.server import serve
from svckit.settings import load_settings

from tstudio_security.deps import build_deps
from tstudio_security.server import create_server
from tstudio_security.settings import SecuritySettings


async def main() -> None:
    settings = load_settings(SecuritySettings, "SECURITY")
    prepare_process("security", settings)
    bus = await connect_bus(settings.nats_url, name="security")
    # Opening the store proves the master key and finishes an interrupted rotation before serving.
    deps = build_deps(settings, bus)
    handle = create_server(settings, deps)
    await serve(handle, settings, on_shutdown=[deps.close, bus.close])


if __name__ == "__main__":
    asyncio.run(main())
