"""Commands through the gateway (`POST /api/v1/invoke/{command}`) under the retry policy."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from soak.retry_policy import Attempt, Outcome, RetryPolicy, Verdict, classify_http

# A connection refused or dropped while a process restarts reads as UNAVAILABLE.
CONNECTION_ERRORS = (aiohttp.ClientConnectionError, asyncio.TimeoutError)


class GatewayClient:
    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str, policy: RetryPolicy
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.policy = policy

    async def invoke(
        self, command: str, args: dict[str, Any], timeout: float = 60.0, policy: RetryPolicy | None = None
    ) -> Outcome:
        """`command` with `args`, retried per `policy` (the client's own when not given)."""
        return await (policy or self.policy).call(command, lambda: self.attempt(command, args, timeout))

    async def attempt(self, command: str, args: dict[str, Any], timeout: float) -> Attempt:
        url = f"{self.base_url}/api/v1/invoke/{command}"
        try:
            async with self.session.post(
                url, json=args, headers=self.headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as reply:
                body = _json(await reply.read())
                retry_after = reply.headers.get("Retry-After")
                status = reply.status
        except CONNECTION_ERRORS as exc:
            return Attempt(Verdict.RETRY_UNAVAILABLE, f"connection {type(exc).__name__}")
        verdict = classify_http(status)
        if verdict is Verdict.OK:
            return Attempt(verdict, body=body)
        code = body.get("error", {}).get("code", "?") if isinstance(body, dict) else "?"
        return Attempt(verdict, f"HTTP {status} {code}", body, float(retry_after) if retry_after else None)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"error": {"code": "NOT_JSON", "message": raw[:200].decode(errors="replace")}}
