"""API keys and OAuth in the frontend's shapes (src/features/user-settings/hooks/use-api-keys.ts,
src/features/ai-chat/services/api-key-loader.ts), kept by the security service (encrypted at rest,
masked in lists, every read audited there).

One secret per key type, named after it (`openai`, `youtube`, ...), with `key_type` in its metadata.
Operation results are `{success, message}`; a stored key's value comes back only from
get_decrypted_api_key and export_to_env_format, which need the `admin` scope at the gateway and the
gateway's service identity (GATEWAY_SECURITY_SERVICE_TOKEN) among the security service's readers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from svckit.errors import Code, FailedPrecondition, ServiceError, Unimplemented
from tstudio.security.v1 import security_pb2

from tstudio_gateway.domain.oauth_callback import parse_callback_url
from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

# The frontend's key types -> the security service's provider names, where they differ.
PROVIDERS = {"claude": "anthropic"}
KEY_TYPE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
VALID = security_pb2.VALIDATION_STATE_VALID


def _key_type(call: TauriCall, value: str, field: str) -> str:
    if not KEY_TYPE.match(value):
        raise call.args.error(
            field, "must be a key type such as openai, claude, youtube (a-z, 0-9, '_', '-')"
        )
    return value


def _timestamp(value: Any) -> str | None:
    return value.ToJsonString() if value.seconds or value.nanos else None


def api_key_info(secret: security_pb2.SecretInfo) -> dict[str, Any]:
    """ApiKeyInfo of one stored secret."""
    is_oauth = secret.metadata.get("oauth") == "true" or secret.kind == security_pb2.SECRET_KIND_OAUTH_TOKEN
    info: dict[str, Any] = {
        "key_type": secret.metadata.get("key_type", secret.name),
        "has_value": not secret.damaged,
        "is_oauth": is_oauth,
        "has_access_token": secret.kind == security_pb2.SECRET_KIND_OAUTH_TOKEN
        or secret.metadata.get("has_access_token") == "true",
    }
    created = _timestamp(secret.updated_at)
    if created:
        info["created_at"] = created
    validated = _timestamp(secret.validated_at)
    if validated:
        info["last_validated"] = validated
        info["is_valid"] = secret.validation == VALID
    return info


async def save_simple_api_key(call: TauriCall) -> dict[str, Any]:
    params = call.args.nested("params")
    key_type = _key_type(call, params.string("key_type"), "params.key_type")
    value = params.string("value")
    await call.call(
        "security.put_secret",
        security_pb2.PutSecretRequest(
            name=key_type,
            kind=security_pb2.SECRET_KIND_API_KEY,
            provider=PROVIDERS.get(key_type, key_type),
            value=value,
            metadata={"key_type": key_type, "source": "timeline-studio"},
        ),
    )
    return {"success": True, "message": f"{key_type} API key saved"}


async def save_oauth_credentials(call: TauriCall) -> dict[str, Any]:
    params = call.args.nested("params")
    key_type = _key_type(call, params.string("key_type"), "params.key_type")
    credentials = {
        "client_id": params.string("client_id"),
        "client_secret": params.string("client_secret"),
    }
    access_token = params.string("access_token", required=False)
    refresh_token = params.string("refresh_token", required=False)
    if access_token:
        credentials["access_token"] = access_token
    if refresh_token:
        credentials["refresh_token"] = refresh_token
    await call.call(
        "security.put_secret",
        security_pb2.PutSecretRequest(
            name=key_type,
            kind=security_pb2.SECRET_KIND_GENERIC,
            provider=PROVIDERS.get(key_type, key_type),
            value=json.dumps(credentials),
            metadata={
                "key_type": key_type,
                "source": "timeline-studio",
                "oauth": "true",
                "has_access_token": "true" if access_token else "false",
            },
        ),
    )
    return {"success": True, "message": f"{key_type} OAuth credentials saved"}


async def list_api_keys(call: TauriCall) -> list[dict[str, Any]]:
    response = await call.call("security.list_secrets", security_pb2.ListSecretsRequest())
    return [api_key_info(s) for s in response.secrets if "key_type" in s.metadata]


async def validate_api_key(call: TauriCall) -> dict[str, Any]:
    """ValidationResult of the stored key (format, then the provider's live answer)."""
    key_type = _key_type(call, call.args.string("keyType"), "keyType")
    try:
        response = await call.call(
            "security.validate_api_key", security_pb2.ValidateApiKeyRequest(name=key_type)
        )
    except ServiceError as exc:
        if exc.code is Code.NOT_FOUND:
            return {"is_valid": False, "error_message": f"no {key_type} API key is saved"}
        raise
    result: dict[str, Any] = {
        "is_valid": response.state == VALID,
        "service_info": PROVIDERS.get(key_type, key_type),
    }
    if response.state != VALID:
        state = security_pb2.ValidationState.Name(response.state).removeprefix("VALIDATION_STATE_").lower()
        result["error_message"] = response.reason or state
    return result


async def delete_api_key(call: TauriCall) -> dict[str, Any]:
    key_type = _key_type(call, call.args.string("keyType"), "keyType")
    try:
        await call.call("security.delete_secret", security_pb2.DeleteSecretRequest(name=key_type))
    except ServiceError as exc:
        if exc.code is Code.NOT_FOUND:
            return {"success": False, "message": f"no {key_type} API key is saved"}
        raise
    return {"success": True, "message": f"{key_type} API key deleted"}


async def _value(call: TauriCall, key_type: str) -> str | None:
    try:
        response = await call.call("security.get_secret", security_pb2.GetSecretRequest(name=key_type))
    except ServiceError as exc:
        if exc.code is Code.NOT_FOUND:
            return None
        raise
    return str(response.value)


async def get_decrypted_api_key(call: TauriCall) -> str | None:
    """The stored value, or null; OAuth credentials answer their access token."""
    key_type = _key_type(call, call.args.string("keyType"), "keyType")
    value = await _value(call, key_type)
    if value is not None and value.startswith("{"):
        try:
            return str(json.loads(value).get("access_token") or "") or None
        except ValueError:
            return value
    return value


def _env_name(key_type: str, suffix: str) -> str:
    return f"{key_type.upper().replace('-', '_')}_{suffix}"


async def export_to_env_format(call: TauriCall) -> str:
    """`.env` lines of every stored key (values included: `admin` scope and a reader identity)."""
    response = await call.call("security.list_secrets", security_pb2.ListSecretsRequest())
    lines = ["# Timeline Studio API keys"]
    for secret in response.secrets:
        key_type = secret.metadata.get("key_type")
        if not key_type:
            continue
        value = await _value(call, secret.name)
        if value is None:
            continue
        if secret.metadata.get("oauth") == "true":
            credentials = json.loads(value)
            for field, suffix in (
                ("client_id", "CLIENT_ID"),
                ("client_secret", "CLIENT_SECRET"),
                ("access_token", "ACCESS_TOKEN"),
                ("refresh_token", "REFRESH_TOKEN"),
            ):
                if credentials.get(field):
                    lines.append(f"{_env_name(key_type, suffix)}={credentials[field]}")
        else:
            lines.append(f"{_env_name(key_type, 'API_KEY')}={value}")
    return "\n".join(lines) + "\n"


async def import_from_env(call: TauriCall) -> dict[str, Any]:
    call.args.string("envFilePath", required=False)
    raise FailedPrecondition(
        "import_from_env: the backend does not read .env files from the client's paths; "
        "the operator imports them with the security service's ImportFromEnv",
        reason="ENV_FILE_NOT_READ",
    )


class OAuthStates:
    """The state of the last authorization each caller started per key type, for exchange_oauth_code
    (the frontend sends only the code back)."""

    def __init__(self) -> None:
        self._states: dict[tuple[str, str], str] = {}

    def remember(self, caller_id: str, key_type: str, state: str) -> None:
        self._states[(caller_id, key_type)] = state

    def take(self, caller_id: str, key_type: str) -> str | None:
        return self._states.pop((caller_id, key_type), None)


def generate_oauth_url(states: OAuthStates) -> Handler:
    async def handler(call: TauriCall) -> str:
        """The provider's authorization URL (PKCE and state by the security service; the client id is
        the one the operator configured for the provider)."""
        key_type = _key_type(call, call.args.string("keyType"), "keyType")
        call.args.string("clientId")
        call.args.string("state", required=False)
        response = await call.call(
            "security.start_oauth",
            security_pb2.StartOAuthRequest(provider=PROVIDERS.get(key_type, key_type), secret_name=key_type),
        )
        states.remember(call.caller.id, key_type, response.state)
        return str(response.authorization_url)

    return handler


def exchange_oauth_code(states: OAuthStates) -> Handler:
    async def handler(call: TauriCall) -> dict[str, Any]:
        key_type = _key_type(call, call.args.string("keyType"), "keyType")
        call.args.string("clientId")
        call.args.string("clientSecret")
        code = call.args.string("code")
        state = states.take(call.caller.id, key_type)
        if state is None:
            raise FailedPrecondition(
                f"exchange_oauth_code: no authorization was started for {key_type}; call generate_oauth_url first",
                reason="NO_OAUTH_STARTED",
            )
        await call.call("security.complete_oauth", security_pb2.CompleteOAuthRequest(state=state, code=code))
        return {"success": True, "message": f"{key_type} connected"}

    return handler


async def refresh_oauth_token(call: TauriCall) -> dict[str, Any]:
    key_type = _key_type(call, call.args.string("keyType"), "keyType")
    await call.call("security.refresh_oauth", security_pb2.RefreshOAuthRequest(name=key_type))
    return {"success": True, "message": f"{key_type} token refreshed"}


async def get_oauth_user_info(call: TauriCall) -> dict[str, Any]:
    _key_type(call, call.args.string("keyType"), "keyType")
    raise Unimplemented(
        "get_oauth_user_info: asking a provider who the user is is not offered by this backend yet",
        reason="NOT_OFFERED",
    )


async def parse_oauth_callback_url(call: TauriCall) -> dict[str, Any]:
    return parse_callback_url(call.args.string("url"), call.args.error)


def commands() -> list[TauriCommand]:
    states = OAuthStates()
    write = ("security", "admin")
    return [
        TauriCommand("save_simple_api_key", save_simple_api_key, write),
        TauriCommand("save_oauth_credentials", save_oauth_credentials, write),
        TauriCommand("list_api_keys", list_api_keys, ("security",)),
        TauriCommand("validate_api_key", validate_api_key, ("security",)),
        TauriCommand("delete_api_key", delete_api_key, write),
        TauriCommand("get_decrypted_api_key", get_decrypted_api_key, write),
        TauriCommand("export_to_env_format", export_to_env_format, write),
        TauriCommand("import_from_env", import_from_env, write),
        TauriCommand("generate_oauth_url", generate_oauth_url(states), ("security",)),
        TauriCommand("exchange_oauth_code", exchange_oauth_code(states), write),
        TauriCommand("refresh_oauth_token", refresh_oauth_token, ("security",)),
        TauriCommand("get_oauth_user_info", get_oauth_user_info, ("security",)),
        TauriCommand("parse_oauth_callback_url", parse_oauth_callback_url, ()),
    ]
