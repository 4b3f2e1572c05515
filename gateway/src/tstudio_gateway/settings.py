"""The gateway's settings, read once from GATEWAY_* variables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from svckit.settings import ServiceSettings, SettingsError

TOKEN_SOURCES = ("static", "security")
DEV_ORIGINS = (
    "http://localhost:3000",
    "http://localhost:1420",
    "http://localhost:5173",
    "tauri://localhost",
    "http://tauri.localhost",
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GatewaySettings(ServiceSettings):
    port: int = 8080
    compiler_addr: str = "127.0.0.1:50051"
    media_addr: str = "127.0.0.1:50052"
    recognition_addr: str = "127.0.0.1:50053"
    security_addr: str = "127.0.0.1:50054"
    # Bearer tokens accepted besides the dev token (comma separated).
    tokens: tuple[str, ...] = ()
    # Empty: a random dev token is made at start and written to <data_dir>/dev-token (mode 0600).
    dev_token: str = ""
    # Off in production, where callers only use GATEWAY_TOKENS (or the security service).
    enable_dev_token: bool = True
    data_dir: Path = Path(".tstudio/gateway")
    # Who checks bearer tokens: "static" (GATEWAY_TOKENS and the dev token) or "security" (those,
    # then the security service's VerifyAccessToken).
    token_source: str = "static"
    # How long a token the security service verified is trusted without asking again.
    token_cache_seconds: float = 10.0
    # Off only for a gateway bound to loopback in a developer's own sandbox.
    auth_required: bool = True
    # Per token; 0 turns rate limiting off.
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 100
    max_request_bytes: int = 1024 * 1024
    # Deadline for a call when the client names none; a client's own is capped by max_timeout_seconds.
    default_timeout_seconds: float = 30.0
    stream_timeout_seconds: float = 3600.0
    max_timeout_seconds: float = 3600.0
    # Browser origins allowed to call (CORS) and to open the WebSocket; "*" allows any. The default is
    # the development set (Timeline Studio's Next.js dev server, Tauri's dev server and webviews,
    # Vite); a production deployment sets its own list, or none (k8s/base: empty, browsers refused).
    cors_origins: tuple[str, ...] = DEV_ORIGINS
    # Sent to the security service as x-tstudio-service-token by the Timeline Studio commands that
    # read key values (get_decrypted_api_key); that service's readers list must name its identity.
    security_service_token: str = ""
    # Seconds between SSE keep-alive comments and WebSocket pings.
    heartbeat_seconds: float = 15.0
    # A connection is closed when it has sent no complete request head for this long after it
    # opened or after its last answer: idle keep-alive and half-sent headers alike.
    idle_timeout_seconds: float = 60.0
    # A request body must arrive whole within this long of its head (else 408, connection closed).
    body_timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.token_source not in TOKEN_SOURCES:
            raise SettingsError(
                f"GATEWAY_TOKEN_SOURCE={self.token_source!r}: choose one of {', '.join(TOKEN_SOURCES)}"
            )
        if self.token_source == "security" and not self.security_addr:
            raise SettingsError("GATEWAY_TOKEN_SOURCE=security needs GATEWAY_SECURITY_ADDR")

    def backend_addresses(self) -> dict[str, str]:
        return {
            "compiler": self.compiler_addr,
            "media": self.media_addr,
            "recognition": self.recognition_addr,
            "security": self.security_addr,
        }
