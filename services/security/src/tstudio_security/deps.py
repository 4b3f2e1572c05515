"""Builds the service's parts from settings; used by `__main__` and by tests that start a real server."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from svckit.bus import EventBus
from svckit.errors import FailedPrecondition
from svckit.executor import BlockingExecutor

from tstudio_security.adapters.access_metrics import CountingAuditSink
from tstudio_security.adapters.audit_events import BusAuditSink
from tstudio_security.adapters.clock import SystemClock
from tstudio_security.adapters.file_vault import EncryptedFileVault
from tstudio_security.adapters.master_keys import (
    KeychainMasterKey,
    KeyFileMasterKey,
    MasterKey,
    PassphraseMasterKey,
    VaultTransitMasterKey,
    vault_client,
)
from tstudio_security.adapters.oauth_http import HttpTokenEndpoint
from tstudio_security.adapters.provider_checks import HttpApiKeyChecker
from tstudio_security.adapters.token_file import TokenFile
from tstudio_security.domain.access import AccessPolicy
from tstudio_security.domain.access_tokens import AccessTokens
from tstudio_security.domain.oauth import providers_from_config
from tstudio_security.domain.oauth_flows import OAuthFlows
from tstudio_security.domain.ports import Clock
from tstudio_security.domain.secrets_service import SecretsService
from tstudio_security.settings import MASTER_KEY_PROVIDERS, SecuritySettings, pairs

log = logging.getLogger(__name__)


@dataclass
class SecurityDeps:
    secrets: SecretsService
    oauth: OAuthFlows
    vault: EncryptedFileVault
    service_tokens: dict[str, str]
    executor: BlockingExecutor
    access_tokens: AccessTokens
    closers: list[Any] = field(default_factory=list)

    def diagnostics(self) -> dict[str, str]:
        return {
            **self.vault.describe(),
            "oauth.providers": ",".join(sorted(self.oauth.providers)) or "none",
            "access.readers": str(len(self.secrets.policy.readers)),
        }

    async def close(self) -> None:
        for closer in self.closers:
            await closer()
        self.executor.shutdown(wait=True)


def _read_text(path: Any) -> str:
    return path.read_text().strip() if path else ""


def open_master_key(settings: SecuritySettings) -> MasterKey:
    """The configured master key provider, or a start-up error saying what is missing."""
    choice = settings.master_key
    if choice == "file":
        return KeyFileMasterKey(settings.master_key_file or settings.data_dir / "master.key")
    if choice == "passphrase":
        passphrase = settings.passphrase or _read_text(settings.passphrase_file)
        if not passphrase:
            raise FailedPrecondition(
                "SECURITY_PASSPHRASE or SECURITY_PASSPHRASE_FILE is required for the passphrase provider"
            )
        return PassphraseMasterKey(passphrase, settings.argon2_memory_kib, settings.argon2_time_cost)
    if choice == "keychain":
        return KeychainMasterKey(settings.keychain_service)
    if choice == "vault-transit":
        token = settings.vault_token or _read_text(settings.vault_token_file)
        if not settings.vault_addr or not token:
            raise FailedPrecondition(
                "SECURITY_VAULT_ADDR and SECURITY_VAULT_TOKEN(_FILE) are required for vault-transit"
            )
        client = vault_client(settings.vault_addr, token)
        return VaultTransitMasterKey(client, settings.vault_transit_key, settings.vault_transit_mount)
    raise FailedPrecondition(
        f"SECURITY_MASTER_KEY={choice!r}: choose one of {', '.join(MASTER_KEY_PROVIDERS)}"
    )


def build_deps(settings: SecuritySettings, bus: EventBus, clock: Clock | None = None) -> SecurityDeps:
    """Open the store (this checks the master key and finishes an interrupted rotation) and wire the rest."""
    executor = BlockingExecutor(settings.max_workers, "security")
    vault = EncryptedFileVault(settings.data_dir, open_master_key(settings)).open()
    tokens = pairs(settings.service_tokens, "SECURITY_SERVICE_TOKENS")
    if settings.service_tokens_file:
        tokens.update(
            pairs(tuple(_read_text(settings.service_tokens_file).split()), "SECURITY_SERVICE_TOKENS_FILE")
        )
    checker = HttpApiKeyChecker(
        pairs(settings.provider_urls, "SECURITY_PROVIDER_URLS"), settings.validation_timeout_seconds
    )
    endpoint = HttpTokenEndpoint(settings.oauth_timeout_seconds)
    oauth_config = json.loads(settings.oauth_config_file.read_text()) if settings.oauth_config_file else {}
    secrets = SecretsService(
        vault=vault,
        runner=executor,
        checker=checker,
        audit=CountingAuditSink(BusAuditSink(bus)),
        clock=clock or SystemClock(),
        policy=AccessPolicy(frozenset(settings.readers)),
    )
    oauth = OAuthFlows(
        secrets,
        providers_from_config(oauth_config),
        endpoint,
        timedelta(seconds=settings.oauth_refresh_margin_seconds),
    )
    secrets.refresher = oauth
    access_tokens = AccessTokens(
        TokenFile(settings.data_dir),
        executor,
        secrets.clock,
        secrets.policy,
        timedelta(seconds=settings.access_token_ttl_seconds),
    )
    return SecurityDeps(
        secrets, oauth, vault, tokens, executor, access_tokens, closers=[checker.close, endpoint.close]
    )
