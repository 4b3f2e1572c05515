"""Who is calling: the mTLS certificate identity when there is one, else a service token."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

import grpc

TOKEN_METADATA = "x-tstudio-service-token"


class CallerIdentifier:
    def __init__(self, tokens: Mapping[str, str]) -> None:
        # token -> caller name; compared in constant time below.
        self._tokens = [(token.encode(), name) for name, token in tokens.items()]

    def identify(self, context: grpc.aio.ServicerContext) -> str:
        identities = context.peer_identities()
        if identities:
            return identities[0].decode("utf-8", "replace")
        for key, value in context.invocation_metadata() or ():
            if key == TOKEN_METADATA:
                presented = value.encode() if isinstance(value, str) else bytes(value)
                for token, name in self._tokens:
                    if hmac.compare_digest(token, presented):
                        return name
        return ""
