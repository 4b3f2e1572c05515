"""The security service's settings, read once from `SECURITY_*` variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from svckit.settings import ServiceSettings

MASTER_KEY_PROVIDERS = ("file", "passphrase", "keychain", "vault-transit")
DEFAULT_DATA_DIR = Path.home() / ".tstudio" / "security"


@dataclass(frozen=True, kw_only=True)
class SecuritySettings(ServiceSettings):
    port: int = 50054
    # Encrypted secrets and the key ring live here (owner-only).
    data_dir: Path = DEFAULT_DATA_DIR
    # Which provider protects the data keys: file | passphrase | keychain | vault-transit.
    master_key: str = "file"
    # For "file"; default <data_dir>/master.key, created 0600 on first start.
    master_key_file: Path | None = None
    # For "passphrase": the passphrase itself or a file holding it (a mounted secret).
    passphrase: str = ""
    passphrase_file: Path | None = None
    argon2_memory_kib: int = 64 * 1024
    argon2_time_cost: int = 3
    keychain_service: str = "tstudio-security"
    # For "vault-transit": a Vault or OpenBao server with a transit engine.
    vault_addr: str = ""
    vault_token: str = ""
    vault_token_file: Path | None = None
    vault_transit_mount: str = "transit"
    vault_transit_key: str = "tstudio-security"
    # Caller identities (certificate CN/SAN, or service-token names) allowed to read values.
    readers: tuple[str, ...] = ()
    # "name=token" pairs identifying callers when mTLS is off (metadata x-tstudio-service-token).
    service_tokens: tuple[str, ...] = ()
    service_tokens_file: Path | None = None
    # "provider=base URL" overrides for the live key checks, e.g. "openai=http://127.0.0.1:9000".
    provider_urls: tuple[str, ...] = ()
    validation_timeout_seconds: float = 10.0
    # JSON {"youtube": {"client_id": ..., "client_secret": ...}, "custom": {"authorize_url": ...}}.
    oauth_config_file: Path | None = None
    oauth_refresh_margin_seconds: float = 120.0
    # Lifetime of a gateway access token when IssueAccessToken names none.
    access_token_ttl_seconds: int = 30 * 24 * 3600
    # How often stored token sets are checked and refreshed ahead of expiry; 0 turns it off.
    oauth_refresh_interval_seconds: float = 60.0
    oauth_timeout_seconds: float = 10.0


def pairs(entries: tuple[str, ...], setting: str) -> dict[str, str]:
    """Parse `key=value` entries; a malformed one stops start-up naming the setting, never the value."""
    out = {}
    for index, entry in enumerate(entries):
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{setting}: entry {index + 1} is not key=value")
        out[key.strip()] = value.strip()
    return out
