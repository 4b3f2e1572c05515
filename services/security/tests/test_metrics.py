"""Secret accesses counted on the process's Prometheus registry, by action and allowed."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY, generate_latest
from tstudio.security.v1 import security_pb2

from .conftest import Running

COUNTER = "tstudio_security_secrets_accessed_total"


def accessed() -> dict[tuple[str, str], float]:
    """(action, allowed) -> count, parsed from a scrape of the registry."""
    counts = {}
    for line in generate_latest(REGISTRY).decode().splitlines():
        if line.startswith(COUNTER + "{"):
            labels, value = line.rsplit(" ", 1)
            fields = dict(item.split("=", 1) for item in labels[len(COUNTER) + 1 : -1].split(","))
            counts[(fields["action"].strip('"'), fields["allowed"].strip('"'))] = float(value)
    return counts


async def test_reads_and_writes_are_counted_by_action_and_allowed(service: Running) -> None:
    before = accessed()
    await service.stub.PutSecret(security_pb2.PutSecretRequest(name="openai", value="sk-test-0123456789abcd"))
    await service.stub.GetSecret(security_pb2.GetSecretRequest(name="openai"), metadata=service.as_reader())
    with pytest.raises(grpc.aio.AioRpcError):
        await service.stub.GetSecret(
            security_pb2.GetSecretRequest(name="openai"), metadata=service.as_non_reader()
        )
    after = accessed()
    for key in (("write", "true"), ("read", "true"), ("read", "false")):
        assert after.get(key, 0.0) == before.get(key, 0.0) + 1, (key, after)
    assert "sk-test" not in generate_latest(REGISTRY).decode()
