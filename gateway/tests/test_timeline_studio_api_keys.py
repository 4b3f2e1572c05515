"""Replay of the frontend's API-key and OAuth commands (src/features/user-settings/hooks/use-api-keys.ts,
ai-chat/services/api-key-loader.ts) against the real security service, started as a process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from svckit.bus import InProcessBus
from svckit.testing import free_port, grpc_service

from .conftest import Gateway, MediaProcess, start_gateway
from .test_websocket import ws_url
from .timeline_studio_client import Rejected, TauriSocket

SERVICE_TOKEN = "gateway-service-token-0123456789"
OPENAI_KEY = "sk-" + "a1b2c3d4" * 4


@pytest.fixture(scope="session")
def security_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("gateway-security")
    port = free_port()
    env = {
        **os.environ,
        "SECURITY_PORT": str(port),
        "SECURITY_DATA_DIR": str(root / "data"),
        "SECURITY_READERS": "gateway",
        "SECURITY_SERVICE_TOKENS": f"gateway={SERVICE_TOKEN}",
        # Live key checks go nowhere (no network in tests): the answer is "unreachable".
        "SECURITY_PROVIDER_URLS": f"openai=http://127.0.0.1:{free_port()}",
        "SECURITY_VALIDATION_TIMEOUT_SECONDS": "2",
        "SECURITY_LOG_FORMAT": "text",
    }
    with grpc_service("tstudio_security", env, port, root / "security.log", timeout=60) as address:
        yield address


@pytest.fixture
async def keys_gateway(media_service: MediaProcess, security_service: str) -> AsyncIterator[Gateway]:
    bus = InProcessBus()
    async for running in start_gateway(
        media_service, None, bus, security_addr=security_service, security_service_token=SERVICE_TOKEN
    ):
        yield running
    await bus.close()


@pytest.fixture
async def tauri(keys_gateway: Gateway) -> AsyncIterator[TauriSocket]:
    socket = TauriSocket(
        await keys_gateway.session.ws_connect(ws_url(keys_gateway), headers=keys_gateway.headers())
    )
    try:
        yield socket
    finally:
        await socket.close()


async def test_api_key_round_trip(tauri: TauriSocket) -> None:
    saved = await tauri.invoke("save_simple_api_key", {"params": {"key_type": "openai", "value": OPENAI_KEY}})
    assert saved["success"] is True and isinstance(saved["message"], str)
    keys = await tauri.invoke("list_api_keys")
    assert isinstance(keys, list)  # the frontend calls keys.reduce(...)
    info = {k["key_type"]: k for k in keys}["openai"]
    assert info["has_value"] is True and info["is_oauth"] is False and info["has_access_token"] is False
    assert isinstance(info["created_at"], str)
    # No value anywhere in the listing.
    assert OPENAI_KEY not in str(keys)
    validation = await tauri.invoke("validate_api_key", {"keyType": "openai"})
    assert isinstance(validation["is_valid"], bool) and validation["is_valid"] is False
    assert isinstance(validation["error_message"], str)
    checked = {k["key_type"]: k for k in await tauri.invoke("list_api_keys")}["openai"]
    assert isinstance(checked["last_validated"], str) and checked["is_valid"] is False
    assert await tauri.invoke("get_decrypted_api_key", {"keyType": "openai"}) == OPENAI_KEY
    env = await tauri.invoke("export_to_env_format")
    assert f"OPENAI_API_KEY={OPENAI_KEY}" in env.splitlines()
    deleted = await tauri.invoke("delete_api_key", {"keyType": "openai"})
    assert deleted == {"success": True, "message": "openai API key deleted"}
    assert await tauri.invoke("get_decrypted_api_key", {"keyType": "openai"}) is None
    again = await tauri.invoke("delete_api_key", {"keyType": "openai"})
    assert again["success"] is False and "no openai API key" in again["message"]
    missing = await tauri.invoke("validate_api_key", {"keyType": "openai"})
    assert missing["is_valid"] is False


async def test_oauth_credentials_and_callback_parsing(tauri: TauriSocket) -> None:
    params = {"key_type": "vimeo", "client_id": "cid", "client_secret": "csecret", "access_token": "tok-123"}
    saved = await tauri.invoke("save_oauth_credentials", {"params": params})
    assert saved["success"] is True
    info = {k["key_type"]: k for k in await tauri.invoke("list_api_keys")}["vimeo"]
    assert info["is_oauth"] is True and info["has_access_token"] is True
    assert await tauri.invoke("get_decrypted_api_key", {"keyType": "vimeo"}) == "tok-123"
    parsed = await tauri.invoke(
        "parse_oauth_callback_url", {"url": "http://localhost:3000/oauth/callback?code=abc&state=xyz"}
    )
    assert parsed == {"code": "abc", "state": "xyz"}
    with pytest.raises(Rejected, match="not an OAuth callback"):
        await tauri.invoke("parse_oauth_callback_url", {"url": "http://localhost:3000/"})
    with pytest.raises(Rejected, match="no authorization was started"):
        await tauri.invoke(
            "exchange_oauth_code", {"keyType": "vimeo", "clientId": "cid", "clientSecret": "s", "code": "c"}
        )
    with pytest.raises(Rejected, match="not offered"):
        await tauri.invoke("get_oauth_user_info", {"keyType": "vimeo"})
    await tauri.invoke("delete_api_key", {"keyType": "vimeo"})


async def test_reading_values_needs_the_admin_scope() -> None:
    from tstudio_gateway.domain.auth import Caller
    from tstudio_gateway.domain.scopes import MissingScope
    from tstudio_gateway.timeline_studio.api_keys import commands
    from tstudio_gateway.timeline_studio.registry import TauriCommands
    from tstudio_gateway.timeline_studio.tauri_events import TauriEvents

    table = TauriCommands(commands(), None, TauriEvents())
    limited = Caller(id="limited", scopes=frozenset({"security"}))
    for name in ("get_decrypted_api_key", "export_to_env_format", "save_simple_api_key", "delete_api_key"):
        command = table.get(name)
        assert command is not None
        with pytest.raises(MissingScope) as refused:
            await table.invoke(command, {"keyType": "openai"}, limited)
        assert refused.value.missing == ["admin"]


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("save_simple_api_key", {"key_type": "openai", "value": "x"}, "params is required"),
        ("save_simple_api_key", {"params": {"key_type": "openai"}}, "params.value is required"),
        (
            "save_simple_api_key",
            {"params": {"key_type": "Open AI!", "value": "x"}},
            "params.key_type must be a key type",
        ),
        ("validate_api_key", {"keyType": 5}, "keyType must be a string, got a number"),
        (
            "save_oauth_credentials",
            {"params": {"key_type": "vimeo", "client_id": "x"}},
            "params.client_secret is required",
        ),
        ("import_from_env", {"envFilePath": "/etc/passwd"}, "does not read .env files"),
    ],
)
async def test_bad_arguments_reject_with_a_clear_message(
    tauri: TauriSocket, command: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(Rejected) as rejected:
        await tauri.invoke(command, args)
    assert message in str(rejected.value)
