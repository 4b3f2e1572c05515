"""Secrets through real gRPC on loopback: put, read for allowed callers only, list masked, delete,
import from the environment, rotation, and bad input mapped to rich status."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.events.v1 import events_pb2
from tstudio.security.v1 import security_pb2

OPENAI = "sk-proj-TESTVALUEabcdefghijklmnop0123456789"
TELEGRAM = "123456789:AAE-telegram-secret-value-xyz-0987654321"


@pytest.fixture
async def events(service: Any) -> AsyncIterator[list[events_pb2.Event]]:
    seen: list[events_pb2.Event] = []

    async def collect(event: events_pb2.Event) -> None:
        seen.append(event)

    await service.bus.subscribe("tstudio.security.secret.>", collect)
    yield seen


async def put(
    service: Any, name: str, value: str, provider: str = "openai"
) -> security_pb2.PutSecretResponse:
    return await service.stub.PutSecret(
        security_pb2.PutSecretRequest(
            name=name,
            kind=security_pb2.SECRET_KIND_API_KEY,
            provider=provider,
            value=value,
            metadata={"owner": "me"},
        )
    )


async def test_put_then_list_shows_masked_values_only(service: Any) -> None:
    response = await put(service, "openai-main", OPENAI)
    assert response.secret.masked_value == "sk-proj-…6789"
    assert response.secret.key_version == 1
    listed = await service.stub.ListSecrets(security_pb2.ListSecretsRequest())
    assert [s.name for s in listed.secrets] == ["openai-main"]
    assert OPENAI not in str(listed)
    assert listed.secrets[0].metadata == {"owner": "me"}
    info = await service.stub.GetSecretInfo(security_pb2.GetSecretInfoRequest(name="openai-main"))
    assert info.secret == listed.secrets[0]


async def test_get_secret_only_for_callers_on_the_allow_list(
    service: Any, events: list[events_pb2.Event]
) -> None:
    await put(service, "openai-main", OPENAI)
    got = await service.stub.GetSecret(
        security_pb2.GetSecretRequest(name="openai-main"), metadata=service.as_reader()
    )
    assert got.value == OPENAI
    for metadata in ([], service.as_non_reader(), [("x-tstudio-service-token", "forged")]):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await service.stub.GetSecret(security_pb2.GetSecretRequest(name="openai-main"), metadata=metadata)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_details(caught.value).reason == "SECRET_READ_DENIED"
    await asyncio.sleep(0.05)  # let the in-process bus deliver
    reads = [e for e in events if e.secret_accessed.action == "read"]
    assert [(e.secret_accessed.caller, e.secret_accessed.allowed) for e in reads] == [
        ("gateway", True),
        ("", False),
        ("compiler", False),
        ("", False),
    ]
    assert {e.subject for e in reads} == {"tstudio.security.secret.openai-main.accessed"}


async def test_delete_then_get_is_not_found(service: Any) -> None:
    await put(service, "temp", OPENAI)
    await service.stub.DeleteSecret(security_pb2.DeleteSecretRequest(name="temp"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetSecret(security_pb2.GetSecretRequest(name="temp"), metadata=service.as_reader())
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.DeleteSecret(security_pb2.DeleteSecretRequest(name="temp"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("", OPENAI, "name"),
        ("../../etc/passwd", OPENAI, "name"),
        ("n" * 200, OPENAI, "name"),
        ("has.dot", OPENAI, "name"),
        ("ok-name", "", "value"),
        ("ok-name", "v" * (65 * 1024), "value"),
        ("ok-name", OPENAI, "provider"),
    ],
)
async def test_bad_names_and_values_are_invalid_argument(
    service: Any, name: str, value: str, field: str
) -> None:
    provider = "Open AI!" if field == "provider" else "openai"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await put(service, name, value, provider)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error_details(caught.value).field_violations] == [field]


async def test_damaged_secret_is_data_loss_and_others_still_read(service: Any) -> None:
    await put(service, "victim", OPENAI)
    await put(service, "bystander", TELEGRAM, "telegram")
    path = service.settings.data_dir / "secrets" / "victim.secret"
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0x40
    path.write_bytes(bytes(blob))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetSecret(
            security_pb2.GetSecretRequest(name="victim"), metadata=service.as_reader()
        )
    assert caught.value.code() == grpc.StatusCode.DATA_LOSS
    got = await service.stub.GetSecret(
        security_pb2.GetSecretRequest(name="bystander"), metadata=service.as_reader()
    )
    assert got.value == TELEGRAM
    listed = {s.name: s for s in (await service.stub.ListSecrets(security_pb2.ListSecretsRequest())).secrets}
    assert listed["victim"].damaged and not listed["bystander"].damaged


async def test_import_from_env_stores_known_credentials(service: Any) -> None:
    variables = {
        "OPENAI_API_KEY": OPENAI,
        "TELEGRAM_BOT_TOKEN": TELEGRAM,
        "HOME": "/root",
        "DEEPSEEK_API_KEY": " ",
    }
    first = await service.stub.ImportFromEnv(security_pb2.ImportFromEnvRequest(variables=variables))
    assert sorted(s.name for s in first.imported) == ["openai-api-key", "telegram-bot-token"]
    assert sorted(first.ignored) == ["DEEPSEEK_API_KEY", "HOME"]
    assert {s.provider for s in first.imported} == {"openai", "telegram"}
    assert OPENAI not in str(first) and TELEGRAM not in str(first)
    again = await service.stub.ImportFromEnv(
        security_pb2.ImportFromEnvRequest(variables={"OPENAI_API_KEY": OPENAI + "new"})
    )
    assert list(again.kept_existing) == ["openai-api-key"] and not again.imported
    got = await service.stub.GetSecret(
        security_pb2.GetSecretRequest(name="openai-api-key"), metadata=service.as_reader()
    )
    assert got.value == OPENAI


async def test_rotation_over_grpc_keeps_every_secret_readable(service: Any) -> None:
    for index in range(6):
        await put(service, f"k{index}", f"{OPENAI}{index}")

    async def read_all() -> list[str]:
        return [
            (
                await service.stub.GetSecret(
                    security_pb2.GetSecretRequest(name=f"k{i}"), metadata=service.as_reader()
                )
            ).value
            for i in range(6)
        ]

    rotation = asyncio.ensure_future(service.stub.RotateMasterKey(security_pb2.RotateMasterKeyRequest()))
    during = await read_all()
    result = await rotation
    assert (result.key_version, result.reencrypted) == (2, 6)
    assert during == await read_all() == [f"{OPENAI}{i}" for i in range(6)]
    listed = await service.stub.ListSecrets(security_pb2.ListSecretsRequest())
    assert {s.key_version for s in listed.secrets} == {2}


async def test_diagnostics_and_health(service: Any) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    diagnostics = (await service.stub.GetDiagnostics(security_pb2.GetDiagnosticsRequest())).diagnostics
    items = {i.name: i.value for i in diagnostics.items}
    assert diagnostics.service == "security" and diagnostics.ready
    assert items["key.version"] == "1" and "key file" in items["master_key.provider"]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="tstudio.security.v1.SecurityService")
        )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_stored_values_never_reach_logs_errors_or_events(
    service: Any, events: list[events_pb2.Event], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    values = [OPENAI, TELEGRAM]
    await put(service, "openai-main", OPENAI)
    await put(service, "telegram-bot", TELEGRAM, "telegram")
    errors: list[str] = []
    calls = [
        service.stub.GetSecret(security_pb2.GetSecretRequest(name="openai-main")),  # denied
        service.stub.GetSecret(
            security_pb2.GetSecretRequest(name="openai-main"), metadata=service.as_reader()
        ),
        service.stub.ValidateApiKey(security_pb2.ValidateApiKeyRequest(provider="openai", value=TELEGRAM)),
        service.stub.ValidateApiKey(security_pb2.ValidateApiKeyRequest(provider="nope", value=OPENAI)),
        service.stub.PutSecret(security_pb2.PutSecretRequest(name="bad name", value=OPENAI)),
        service.stub.ListSecrets(security_pb2.ListSecretsRequest()),
        service.stub.RotateMasterKey(security_pb2.RotateMasterKeyRequest()),
    ]
    listing = ""
    for call in calls:
        try:
            reply = await call
            if not isinstance(reply, security_pb2.GetSecretResponse):
                listing += str(reply)
        except grpc.aio.AioRpcError as exc:
            errors.append(f"{exc.details()} {exc.debug_error_string()} {error_details(exc)}")
    path = service.settings.data_dir / "secrets" / "openai-main.secret"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    try:
        await service.stub.GetSecret(
            security_pb2.GetSecretRequest(name="openai-main"), metadata=service.as_reader()
        )
    except grpc.aio.AioRpcError as exc:
        errors.append(f"{exc.details()} {error_details(exc)}")
    await asyncio.sleep(0.05)
    assert len(errors) == 4 and events
    haystacks = {
        "logs": "\n".join(r.getMessage() + str(r.args) + str(r.exc_text) for r in caplog.records),
        "errors": "\n".join(errors),
        "events": "\n".join(str(e) for e in events),
        "responses": listing,
    }
    for where, text in haystacks.items():
        for value in values:
            assert value not in text, f"a stored value leaked into {where}"
            assert value[4:-4] not in text, f"part of a stored value leaked into {where}"
