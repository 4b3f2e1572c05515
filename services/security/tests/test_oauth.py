"""OAuth 2.0 authorization code + PKCE (S256) + state against a real authorization server built with
authlib on loopback: happy path, wrong state, reused code, wrong verifier, refresh before expiry,
transparent refresh on GetSecret, and an expired refresh token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import aiohttp
import grpc
import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask
from svckit.grpc_errors import error_details
from tstudio.security.v1 import security_pb2
from werkzeug.serving import make_server

CLIENT_ID, CLIENT_SECRET = "tstudio-editor", "client-secret-xyz-0123456789"
REDIRECT = "http://127.0.0.1:5173/oauth/callback"


@dataclass
class Client:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return REDIRECT

    def get_allowed_scope(self, scope: str) -> str:
        return scope or "upload"

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == REDIRECT

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_post"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class AuthCode:
    code: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token:
    body: dict[str, Any]
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == CLIENT_ID

    def get_scope(self) -> str:
        return str(self.body.get("scope", ""))

    def get_expires_in(self) -> int:
        return int(self.body.get("expires_in", 0))

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str:
        return "creator"

    def get_client(self) -> Client:
        return Client()


@dataclass
class ProviderState:
    codes: dict[str, AuthCode] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    token_requests: int = 0


def authorization_server(state: ProviderState) -> Flask:
    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_post"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            state.codes[code] = AuthCode(
                code,
                request.payload.redirect_uri,
                request.scope,
                request.payload.data.get("code_challenge"),
                request.payload.data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
            return state.codes.get(code)

        def delete_authorization_code(self, authorization_code: AuthCode) -> None:
            state.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: AuthCode) -> str:
            return "creator"

    class RefreshGrant(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_post"]
        INCLUDE_NEW_REFRESH_TOKEN = True

        def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
            for token in state.tokens:
                if token.body.get("refresh_token") == refresh_token and not token.revoked:
                    return token
            return None

        def authenticate_user(self, credential: Token) -> str:
            return "creator"

        def revoke_old_credential(self, credential: Token) -> None:
            credential.revoked = True

    def save_token(token: dict[str, Any], request: Any) -> None:
        state.token_requests += 1
        state.tokens.append(Token(dict(token)))

    app = Flask("fake-video-platform")
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 3600, "refresh_token": 3600}
    server = AuthorizationServer(
        app, query_client=lambda cid: Client() if cid == CLIENT_ID else None, save_token=save_token
    )
    server.register_grant(CodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshGrant)

    @app.get("/authorize")
    def authorize() -> Any:
        # The user is signed in and consents at once: the test plays the browser.
        grant = server.get_consent_grant(end_user="creator")
        return server.create_authorization_response(grant_user="creator", grant=grant)

    @app.post("/token")
    def issue_token() -> Any:
        return server.create_token_response()

    return app


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ProviderState]]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback only
    state = ProviderState()
    server = make_server("127.0.0.1", 0, authorization_server(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", state
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def service(
    make_service: Any, provider: tuple[str, ProviderState], clock: MovableClock, tmp_path: Path
) -> Any:
    base, _ = provider
    config = tmp_path / "oauth.json"
    config.write_text(
        json.dumps(
            {
                "vimeo": {
                    "authorize_url": f"{base}/authorize",
                    "token_url": f"{base}/token",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                }
            }
        )
    )
    return await make_service(clock=clock, oauth_config_file=config)


async def start(service: Any, name: str = "") -> security_pb2.StartOAuthResponse:
    return await service.stub.StartOAuth(
        security_pb2.StartOAuthRequest(
            provider="vimeo", redirect_uri=REDIRECT, scopes=["upload"], secret_name=name
        )
    )


async def consent(url: str) -> tuple[str, str]:
    """Follow the authorization URL like a browser; return (code, state) from the redirect."""
    async with aiohttp.ClientSession() as session, session.get(url, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query["code"][0], query["state"][0]


async def token_set(service: Any, name: str) -> dict[str, Any]:
    got = await service.stub.GetSecret(security_pb2.GetSecretRequest(name=name), metadata=service.as_reader())
    return json.loads(got.value)


async def test_authorization_url_carries_pkce_s256_and_state(service: Any) -> None:
    started = await start(service)
    query = parse_qs(urlsplit(started.authorization_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"] == [started.state] and len(started.state) >= 32
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT]
    assert "code_verifier" not in started.authorization_url
    assert started.expires_at.seconds > time.time()


async def test_complete_stores_the_token_set_as_a_secret(service: Any) -> None:
    started = await start(service, "vimeo-channel")
    code, state = await consent(started.authorization_url)
    assert state == started.state
    completed = await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=state, code=code))
    assert completed.secret.name == "vimeo-channel"
    assert completed.secret.kind == security_pb2.SECRET_KIND_OAUTH_TOKEN
    tokens = await token_set(service, "vimeo-channel")
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["provider"] == "vimeo"
    assert tokens["access_token"][-4:] in completed.secret.masked_value
    assert tokens["access_token"] not in str(completed)


async def test_wrong_state_is_rejected(service: Any) -> None:
    started = await start(service)
    code, _ = await consent(started.authorization_url)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state="forged-state", code=code))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(caught.value).reason == "OAUTH_STATE_INVALID"


async def test_state_is_single_use(service: Any) -> None:
    started = await start(service)
    code, state = await consent(started.authorization_url)
    await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=state, code=code))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=state, code=code))
    assert error_details(caught.value).reason == "OAUTH_STATE_INVALID"


async def test_reused_code_is_refused_by_the_provider(service: Any) -> None:
    first = await start(service, "first")
    code, state = await consent(first.authorization_url)
    await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=state, code=code))
    # A second flow presenting the already-redeemed code.
    second = await start(service, "second")
    await consent(second.authorization_url)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=second.state, code=code))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_details(caught.value).reason == "OAUTH_INVALID_GRANT"
    assert "invalid_grant" in caught.value.details()


async def test_code_from_another_flow_fails_pkce_verification(service: Any) -> None:
    # Flow A's code redeemed with flow B's state means flow B's verifier: the S256 check fails.
    flow_a, flow_b = await start(service, "a"), await start(service, "b")
    code_a, _ = await consent(flow_a.authorization_url)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=flow_b.state, code=code_a))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "Code challenge failed" in caught.value.details()


async def test_expired_state_is_rejected(service: Any, clock: MovableClock) -> None:
    started = await start(service)
    code, state = await consent(started.authorization_url)
    clock.offset = timedelta(minutes=11)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=state, code=code))
    assert error_details(caught.value).reason == "OAUTH_STATE_INVALID"


async def complete_flow(service: Any, name: str = "vimeo-oauth") -> dict[str, Any]:
    started = await start(service, name)
    code, state = await consent(started.authorization_url)
    await service.stub.CompleteOAuth(security_pb2.CompleteOAuthRequest(state=state, code=code))
    return await token_set(service, name)


async def test_refresh_replaces_tokens_and_rotates_the_refresh_token(service: Any) -> None:
    before = await complete_flow(service)
    refreshed = await service.stub.RefreshOAuth(security_pb2.RefreshOAuthRequest(name="vimeo-oauth"))
    after = await token_set(service, "vimeo-oauth")
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert refreshed.secret.masked_value.endswith(after["access_token"][-4:])


async def test_get_secret_refreshes_a_token_set_about_to_expire(
    service: Any, clock: MovableClock, provider: tuple[str, ProviderState]
) -> None:
    _, state = provider
    before = await complete_flow(service)
    requests = state.token_requests
    assert (await token_set(service, "vimeo-oauth"))["access_token"] == before["access_token"]
    assert state.token_requests == requests  # fresh: no refresh
    clock.offset = timedelta(minutes=59)  # 1 h tokens, refreshed within the 2 min margin
    after = await token_set(service, "vimeo-oauth")
    assert after["access_token"] != before["access_token"]
    assert state.token_requests == requests + 1
    assert datetime.fromisoformat(after["expires_at"]) > clock.now() + timedelta(minutes=50)


async def test_expired_refresh_token_asks_to_authorize_again(
    service: Any, clock: MovableClock, provider: tuple[str, ProviderState]
) -> None:
    _, state = provider
    await complete_flow(service)
    for token in state.tokens:
        token.revoked = True  # the provider expired or revoked the grant
    clock.offset = timedelta(hours=2)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.GetSecret(
            security_pb2.GetSecretRequest(name="vimeo-oauth"), metadata=service.as_reader()
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(caught.value).reason == "OAUTH_REAUTHORIZE"


async def test_unknown_provider_and_unsafe_redirect_are_invalid(service: Any) -> None:
    for request, field_name in (
        (security_pb2.StartOAuthRequest(provider="myspace", redirect_uri=REDIRECT), "provider"),
        (
            security_pb2.StartOAuthRequest(provider="vimeo", redirect_uri="http://evil.example/cb"),
            "redirect_uri",
        ),
        (
            security_pb2.StartOAuthRequest(provider="vimeo", redirect_uri=REDIRECT, secret_name="a/b"),
            "secret_name",
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await service.stub.StartOAuth(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in error_details(caught.value).field_violations] == [field_name]


async def test_presets_fill_in_provider_urls(tmp_path: Path) -> None:
    from tstudio_security.domain.oauth import providers_from_config

    providers = providers_from_config({"tiktok": {"client_id": "ck"}, "youtube": {"client_id": "yt"}})
    assert providers["tiktok"].client_id_param == "client_key"
    assert providers["youtube"].token_url == "https://oauth2.googleapis.com/token"
    with pytest.raises(ValueError, match="lacks"):
        providers_from_config({"custom": {"client_id": "x"}})


async def test_background_refresh_renews_only_token_sets_about_to_expire(
    service: Any, clock: MovableClock, provider: tuple[str, ProviderState]
) -> None:
    _, state = provider
    first = await complete_flow(service, "channel-a")
    assert await service.deps.oauth.refresh_due() == 0
    clock.offset = timedelta(minutes=59)
    requests = state.token_requests
    assert await service.deps.oauth.refresh_due() == 1
    assert state.token_requests == requests + 1
    assert (await token_set(service, "channel-a"))["access_token"] != first["access_token"]
    assert await service.deps.oauth.refresh_due() == 0
