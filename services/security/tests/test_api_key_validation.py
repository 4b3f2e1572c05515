"""ValidateApiKey: format checks, then live checks against a loopback server that answers like each
provider (right key, wrong key, slow, down); the result is stored with the secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from aiohttp import web
from svckit.grpc_errors import error_details
from svckit.testing import free_port
from tstudio.security.v1 import security_pb2

KEYS = {
    "openai": "sk-proj-GOODopenaiKEY0123456789abcdef",
    "anthropic": "sk-ant-api03-GOODanthropicKEY0123456789",
    "deepseek": "sk-0123456789abcdef0123456789abcdef",
    "youtube": "AIzaSyGOODyoutubeKEY0123456789abcdefghi",
    "vimeo": "0123456789abcdef0123456789abcdef",
    "telegram": "123456789:AAGOODtelegramTOKEN0123456789abcdef",
    "codecov": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
}
WRONG = {
    "openai": "sk-proj-WRONGopenaiKEY0123456789abcdef",
    "anthropic": "sk-ant-api03-WRONGanthropicKEY012345678",
    "deepseek": "sk-ffffffffffffffffffffffffffffffff",
    "youtube": "AIzaSyWRONGyoutubeKEY012345678abcdefghi",
    "vimeo": "ffffffffffffffffffffffffffffffff",
    "telegram": "987654321:AAWRONGtelegramTOKEN0123456789abcde",
    "codecov": "ffffffff-4f50-6172-8394-a5b6c7d8e9f0",
}


def fake_providers() -> web.Application:
    """Each provider's check endpoint under /<provider>, answering with that provider's error shapes."""

    def bearer(request: web.Request) -> str:
        return request.headers.get("Authorization", "").partition(" ")[2]

    async def openai(request: web.Request) -> web.Response:
        key = bearer(request)
        if key == KEYS["openai"]:
            return web.json_response({"object": "list", "data": [{"id": "gpt-4o"}]})
        message = f"Incorrect API key provided: {key}. You can find your API key at ..."
        return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=401)

    async def anthropic(request: web.Request) -> web.Response:
        if request.headers.get("x-api-key") == KEYS["anthropic"] and request.headers.get("anthropic-version"):
            return web.json_response({"data": [{"id": "claude-sonnet-4"}]})
        return web.json_response(
            {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
            status=401,
        )

    async def deepseek(request: web.Request) -> web.Response:
        if bearer(request) == KEYS["deepseek"]:
            return web.json_response({"data": [{"id": "deepseek-chat"}]})
        return web.json_response({"error": {"message": "Authentication Fails (no such user)"}}, status=401)

    async def youtube(request: web.Request) -> web.Response:
        if request.query.get("key") == KEYS["youtube"]:
            return web.json_response({"kind": "youtube#i18nLanguageListResponse", "items": []})
        return web.json_response(
            {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key."}}, status=400
        )

    async def vimeo(request: web.Request) -> web.Response:
        if bearer(request) == KEYS["vimeo"]:
            return web.json_response({"name": "Editor", "uri": "/users/1"})
        return web.json_response(
            {"error": "You must provide a valid authenticated access token."}, status=401
        )

    async def telegram(request: web.Request) -> web.Response:
        if request.match_info["token"] == KEYS["telegram"]:
            return web.json_response({"ok": True, "result": {"id": 123456789, "is_bot": True}})
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)

    async def codecov(request: web.Request) -> web.Response:
        if bearer(request) == KEYS["codecov"]:
            return web.json_response({"results": []})
        return web.json_response({"detail": "Invalid token."}, status=401)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({})

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=503, text="upstream overloaded")

    app = web.Application()
    app.router.add_get("/openai/v1/models", openai)
    app.router.add_get("/anthropic/v1/models", anthropic)
    app.router.add_get("/deepseek/models", deepseek)
    app.router.add_get("/youtube/youtube/v3/i18nLanguages", youtube)
    app.router.add_get("/vimeo/me", vimeo)
    app.router.add_get("/telegram/bot{token}/getMe", telegram)
    app.router.add_get("/codecov/api/v2/github/", codecov)
    app.router.add_get("/slow/v1/models", slow)
    app.router.add_get("/broken/v1/models", broken)
    return app


@pytest.fixture
async def provider_base() -> AsyncIterator[str]:
    runner = web.AppRunner(fake_providers(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def service(make_service: Any, provider_base: str) -> Any:
    urls = tuple(f"{p}={provider_base}/{p}" for p in KEYS)
    return await make_service(provider_urls=urls)


async def validate(
    service: Any, provider: str, value: str = "", name: str = ""
) -> security_pb2.ValidateApiKeyResponse:
    return await service.stub.ValidateApiKey(
        security_pb2.ValidateApiKeyRequest(provider=provider, value=value, name=name)
    )


@pytest.mark.parametrize("provider", sorted(KEYS))
async def test_right_key_is_valid_and_wrong_key_invalid_with_provider_reason(
    service: Any, provider: str
) -> None:
    good = await validate(service, provider, KEYS[provider])
    assert good.state == security_pb2.VALIDATION_STATE_VALID, good.reason
    bad = await validate(service, provider, WRONG[provider])
    assert bad.state == security_pb2.VALIDATION_STATE_INVALID
    assert bad.reason
    assert WRONG[provider] not in bad.reason


async def test_provider_echo_of_the_key_is_masked_in_the_reason(service: Any) -> None:
    bad = await validate(service, "openai", WRONG["openai"])
    assert "Incorrect API key provided: sk-proj-…cdef" in bad.reason


@pytest.mark.parametrize(
    ("provider", "value"),
    [
        ("openai", "not-a-key"),
        ("anthropic", KEYS["openai"]),
        ("telegram", "12345"),
        ("youtube", " " + KEYS["youtube"]),
    ],
)
async def test_malformed_keys_fail_the_format_check_without_a_request(
    service: Any, provider: str, value: str
) -> None:
    result = await validate(service, provider, value)
    assert result.state == security_pb2.VALIDATION_STATE_INVALID
    assert "look like" in result.reason or "whitespace" in result.reason


async def test_unknown_provider_is_invalid_argument(service: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await validate(service, "myspace", "whatever")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error_details(caught.value).field_violations] == ["provider"]


async def test_slow_down_and_failing_providers_are_unreachable(make_service: Any, provider_base: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    service = await make_service(
        provider_urls=(
            f"openai={provider_base}/slow",
            f"deepseek={dead}",
            f"anthropic={provider_base}/broken",
        ),
        validation_timeout_seconds=0.5,
    )
    for provider in ("openai", "deepseek", "anthropic"):
        result = await validate(service, provider, KEYS[provider])
        assert result.state == security_pb2.VALIDATION_STATE_UNREACHABLE, provider
    assert "did not answer within 0.5s" in (await validate(service, "openai", KEYS["openai"])).reason


async def test_result_is_stored_with_the_secret_and_listed(service: Any) -> None:
    await service.stub.PutSecret(
        security_pb2.PutSecretRequest(
            name="bot", kind=security_pb2.SECRET_KIND_API_KEY, provider="telegram", value=WRONG["telegram"]
        )
    )
    result = await validate(service, "", name="bot")
    assert result.state == security_pb2.VALIDATION_STATE_INVALID
    (listed,) = (await service.stub.ListSecrets(security_pb2.ListSecretsRequest(provider="telegram"))).secrets
    assert listed.validation == security_pb2.VALIDATION_STATE_INVALID
    assert listed.validation_reason == "Unauthorized" and listed.validated_at.seconds > 0
    got = await service.stub.GetSecret(
        security_pb2.GetSecretRequest(name="bot"), metadata=service.as_reader()
    )
    assert got.value == WRONG["telegram"]
