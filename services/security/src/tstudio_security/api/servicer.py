"""SecurityService servicer: proto <-> domain translation only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.metadata import version

import grpc
from google.protobuf import timestamp_pb2
from tstudio.common.v1 import common_pb2
from tstudio.security.v1 import security_pb2, security_pb2_grpc

from tstudio_security.api.caller import CallerIdentifier
from tstudio_security.domain.access_tokens import AccessToken, AccessTokens
from tstudio_security.domain.model import ListedSecret, SecretKind, SecretRecord, ValidationState
from tstudio_security.domain.oauth_flows import OAuthFlows
from tstudio_security.domain.secrets_service import SecretsService, masked_value

_KIND_TO_PROTO = {
    SecretKind.API_KEY: security_pb2.SECRET_KIND_API_KEY,
    SecretKind.OAUTH_TOKEN: security_pb2.SECRET_KIND_OAUTH_TOKEN,
    SecretKind.GENERIC: security_pb2.SECRET_KIND_GENERIC,
}
_KIND_FROM_PROTO = {v: k for k, v in _KIND_TO_PROTO.items()}
_STATE_TO_PROTO = {
    ValidationState.UNKNOWN: security_pb2.VALIDATION_STATE_UNSPECIFIED,
    ValidationState.VALID: security_pb2.VALIDATION_STATE_VALID,
    ValidationState.INVALID: security_pb2.VALIDATION_STATE_INVALID,
    ValidationState.UNREACHABLE: security_pb2.VALIDATION_STATE_UNREACHABLE,
}


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def secret_info(record: SecretRecord, masked: str, damaged: bool = False) -> security_pb2.SecretInfo:
    return security_pb2.SecretInfo(
        name=record.name,
        kind=_KIND_TO_PROTO[record.kind],
        provider=record.provider,
        masked_value=masked,
        metadata=record.metadata,
        updated_at=_timestamp(record.updated_at),
        validation=_STATE_TO_PROTO[record.validation.state],
        validated_at=_timestamp(record.validation.checked_at),
        validation_reason=record.validation.reason,
        key_version=record.key_version,
        damaged=damaged,
    )


def _token_info(record: AccessToken) -> security_pb2.AccessTokenInfo:
    return security_pb2.AccessTokenInfo(
        token_id=record.token_id,
        subject=record.subject,
        scopes=record.scopes,
        issued_at=_timestamp(record.issued_at),
        expires_at=_timestamp(record.expires_at),
    )


def _listed(item: ListedSecret) -> security_pb2.SecretInfo:
    return secret_info(item.record, item.masked_value, item.damaged)


class SecurityServicer(security_pb2_grpc.SecurityServiceServicer):
    def __init__(
        self,
        secrets: SecretsService,
        oauth: OAuthFlows,
        callers: CallerIdentifier,
        diagnostics: Callable[[], dict[str, str]],
        access_tokens: AccessTokens,
    ) -> None:
        self.secrets, self.oauth, self.callers, self._diagnostics = secrets, oauth, callers, diagnostics
        self.access_tokens = access_tokens

    async def PutSecret(
        self, request: security_pb2.PutSecretRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.PutSecretResponse:
        kind = _KIND_FROM_PROTO.get(request.kind, SecretKind.GENERIC)
        record = await self.secrets.put(
            request.name,
            kind,
            request.provider,
            request.value,
            dict(request.metadata),
            self.callers.identify(context),
        )
        return security_pb2.PutSecretResponse(secret=_listed(await self.secrets.describe(record.name)))

    async def GetSecret(
        self, request: security_pb2.GetSecretRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.GetSecretResponse:
        secret = await self.secrets.get(request.name, self.callers.identify(context))
        return security_pb2.GetSecretResponse(
            secret=secret_info(secret.record, masked_value(secret)), value=secret.value
        )

    async def GetSecretInfo(
        self, request: security_pb2.GetSecretInfoRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.GetSecretInfoResponse:
        return security_pb2.GetSecretInfoResponse(secret=_listed(await self.secrets.describe(request.name)))

    async def ListSecrets(
        self, request: security_pb2.ListSecretsRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.ListSecretsResponse:
        return security_pb2.ListSecretsResponse(
            secrets=[_listed(s) for s in await self.secrets.list(request.provider)]
        )

    async def DeleteSecret(
        self, request: security_pb2.DeleteSecretRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.DeleteSecretResponse:
        await self.secrets.delete(request.name, self.callers.identify(context))
        return security_pb2.DeleteSecretResponse()

    async def ValidateApiKey(
        self, request: security_pb2.ValidateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.ValidateApiKeyResponse:
        result = await self.secrets.validate(request.provider, request.value, request.name)
        return security_pb2.ValidateApiKeyResponse(state=_STATE_TO_PROTO[result.state], reason=result.reason)

    async def ImportFromEnv(
        self, request: security_pb2.ImportFromEnvRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.ImportFromEnvResponse:
        result = await self.secrets.import_from_env(
            dict(request.variables), request.overwrite, self.callers.identify(context)
        )
        imported = [_listed(await self.secrets.describe(record.name)) for record in result.imported]
        return security_pb2.ImportFromEnvResponse(
            imported=imported, kept_existing=result.kept_existing, ignored=result.ignored
        )

    async def RotateMasterKey(
        self, request: security_pb2.RotateMasterKeyRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.RotateMasterKeyResponse:
        result = await self.secrets.rotate()
        return security_pb2.RotateMasterKeyResponse(
            key_version=result.key_version, reencrypted=result.reencrypted
        )

    async def StartOAuth(
        self, request: security_pb2.StartOAuthRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.StartOAuthResponse:
        start = self.oauth.start(
            request.provider, request.redirect_uri, tuple(request.scopes), request.secret_name
        )
        return security_pb2.StartOAuthResponse(
            authorization_url=start.url, state=start.state, expires_at=_timestamp(start.expires_at)
        )

    async def CompleteOAuth(
        self, request: security_pb2.CompleteOAuthRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.CompleteOAuthResponse:
        record = await self.oauth.complete(request.state, request.code, self.callers.identify(context))
        return security_pb2.CompleteOAuthResponse(secret=_listed(await self.secrets.describe(record.name)))

    async def RefreshOAuth(
        self, request: security_pb2.RefreshOAuthRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.RefreshOAuthResponse:
        secret = await self.oauth.refresh(request.name)
        return security_pb2.RefreshOAuthResponse(secret=secret_info(secret.record, masked_value(secret)))

    async def GetDiagnostics(
        self, request: security_pb2.GetDiagnosticsRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.GetDiagnosticsResponse:
        items = [common_pb2.DiagnosticItem(name=k, value=v, ok=True) for k, v in self._diagnostics().items()]
        return security_pb2.GetDiagnosticsResponse(
            diagnostics=common_pb2.Diagnostics(
                service="security", version=version("tstudio-security"), ready=True, items=items
            )
        )

    async def IssueAccessToken(
        self, request: security_pb2.IssueAccessTokenRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.IssueAccessTokenResponse:
        issued = await self.access_tokens.issue(
            request.subject, tuple(request.scopes), request.ttl_seconds, self.callers.identify(context)
        )
        return security_pb2.IssueAccessTokenResponse(token=issued.token, info=_token_info(issued.record))

    async def VerifyAccessToken(
        self, request: security_pb2.VerifyAccessTokenRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.VerifyAccessTokenResponse:
        record = await self.access_tokens.verify(request.token)
        if record is None:
            return security_pb2.VerifyAccessTokenResponse(valid=False)
        return security_pb2.VerifyAccessTokenResponse(valid=True, info=_token_info(record))

    async def RevokeAccessToken(
        self, request: security_pb2.RevokeAccessTokenRequest, context: grpc.aio.ServicerContext
    ) -> security_pb2.RevokeAccessTokenResponse:
        await self.access_tokens.revoke(request.token_id, self.callers.identify(context))
        return security_pb2.RevokeAccessTokenResponse()
