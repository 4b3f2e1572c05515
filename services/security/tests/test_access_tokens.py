"""Gateway access tokens through gRPC: issued once, stored hashed, verified, revoked, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from tstudio.security.v1 import security_pb2

from .conftest import Running


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def issue(service: Running, **fields: Any) -> security_pb2.IssueAccessTokenResponse:
    request = security_pb2.IssueAccessTokenRequest(**{"subject": "alice", "scopes": ["invoke"], **fields})
    return await service.stub.IssueAccessToken(request, metadata=service.as_reader())


async def verify(service: Running, token: str) -> security_pb2.VerifyAccessTokenResponse:
    return await service.stub.VerifyAccessToken(security_pb2.VerifyAccessTokenRequest(token=token))


async def test_issued_token_verifies_with_subject_and_scopes(service: Running) -> None:
    issued = await issue(service, scopes=["invoke", "events"])
    reply = await verify(service, issued.token)
    assert reply.valid
    assert reply.info.subject == "alice"
    assert list(reply.info.scopes) == ["invoke", "events"]
    assert reply.info.token_id == issued.info.token_id
    assert reply.info.expires_at.ToDatetime() > datetime.now()


async def test_token_is_stored_only_as_a_hash(service: Running) -> None:
    issued = await issue(service)
    secret_part = issued.token.rsplit("_", 1)[1]
    for path in service.settings.data_dir.rglob("*"):
        if path.is_file():
            assert secret_part.encode() not in path.read_bytes(), path


async def test_wrong_or_malformed_token_is_invalid(service: Running) -> None:
    issued = await issue(service)
    last = issued.token[-1]
    tampered = issued.token[:-1] + ("A" if last != "A" else "B")
    for token in (tampered, "", "nonsense", "tst_0000000000000000_" + "x" * 43, issued.token + "x"):
        assert not (await verify(service, token)).valid, token


async def test_revoked_token_is_invalid(service: Running) -> None:
    issued = await issue(service)
    await service.stub.RevokeAccessToken(
        security_pb2.RevokeAccessTokenRequest(token_id=issued.info.token_id), metadata=service.as_reader()
    )
    assert not (await verify(service, issued.token)).valid


async def test_expired_token_is_invalid(make_service: Any) -> None:
    clock = MovableClock()
    service = await make_service(clock=clock)
    issued = await issue(service, ttl_seconds=60)
    assert (await verify(service, issued.token)).valid
    clock.offset = timedelta(seconds=61)
    assert not (await verify(service, issued.token)).valid


async def test_only_allowed_callers_issue_or_revoke(service: Running) -> None:
    request = security_pb2.IssueAccessTokenRequest(subject="mallory")
    for metadata in (service.as_non_reader(), None):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await service.stub.IssueAccessToken(request, metadata=metadata)
        assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    issued = await issue(service)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.RevokeAccessToken(
            security_pb2.RevokeAccessTokenRequest(token_id=issued.info.token_id),
            metadata=service.as_non_reader(),
        )
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert (await verify(service, issued.token)).valid


async def test_bad_requests_are_invalid_argument(service: Running) -> None:
    for fields in ({"subject": ""}, {"subject": "a b"}, {"scopes": ["no spaces"]}, {"ttl_seconds": -1}):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await issue(service, **fields)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, fields
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.RevokeAccessToken(
            security_pb2.RevokeAccessTokenRequest(token_id="0123456789abcdef"), metadata=service.as_reader()
        )
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
