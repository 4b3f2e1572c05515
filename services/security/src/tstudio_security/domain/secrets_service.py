"""The secret store's use cases: put, read (for allowed callers), list masked, delete, import from
the environment, validate API keys, rotate the data key. Blocking storage runs off the event loop."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from svckit.errors import FieldViolation, InvalidArgument, NotFound

from tstudio_security.domain.access import AccessPolicy
from tstudio_security.domain.api_key_formats import check_provider, format_problem
from tstudio_security.domain.env_import import recognised
from tstudio_security.domain.masking import mask
from tstudio_security.domain.model import (
    ListedSecret,
    Secret,
    SecretKind,
    SecretRecord,
    Validation,
    ValidationState,
)
from tstudio_security.domain.names import check_metadata, check_name, check_provider_label, check_value
from tstudio_security.domain.oauth import TokenSet
from tstudio_security.domain.ports import (
    ApiKeyChecker,
    AuditSink,
    BlockingRunner,
    Clock,
    RotationResult,
    SecretVault,
)

log = logging.getLogger(__name__)


class TokenRefresher(Protocol):
    async def refresh_if_due(self, secret: Secret) -> Secret: ...


@dataclass(frozen=True)
class ImportResult:
    imported: list[SecretRecord]
    kept_existing: list[str]
    ignored: list[str]


class SecretsService:
    def __init__(
        self,
        vault: SecretVault,
        runner: BlockingRunner,
        checker: ApiKeyChecker,
        audit: AuditSink,
        clock: Clock,
        policy: AccessPolicy,
    ) -> None:
        self.vault, self.runner, self.checker = vault, runner, checker
        self.audit, self.clock, self.policy = audit, clock, policy
        self.refresher: TokenRefresher | None = None

    async def put(
        self,
        name: str,
        kind: SecretKind,
        provider: str,
        value: str,
        metadata: Mapping[str, str],
        caller: str = "",
    ) -> SecretRecord:
        record = SecretRecord(
            name=check_name(name),
            kind=kind,
            provider=check_provider_label(provider),
            metadata=check_metadata(dict(metadata)),
            updated_at=self.clock.now(),
        )
        stored = await self.runner.run(self.vault.put, record, check_value(value))
        log.info("stored secret %s (key version %d)", name, stored.key_version)
        await self.audit.secret_accessed(name, caller, "write", True)
        return stored

    async def get(self, name: str, caller: str) -> Secret:
        """The value, for callers on the allow-list only; every attempt is audited."""
        check_name(name)
        if not self.policy.may_read(caller):
            await self.audit.secret_accessed(name, caller, "read", False)
            log.warning("denied reading secret %s to %s", name, caller or "an unauthenticated caller")
            raise self.policy.denial(caller)
        secret = await self.runner.run(self.vault.get, name)
        if secret.record.kind is SecretKind.OAUTH_TOKEN and self.refresher is not None:
            secret = await self.refresher.refresh_if_due(secret)
        await self.audit.secret_accessed(name, caller, "read", True)
        return secret

    async def describe(self, name: str) -> ListedSecret:
        secret = await self.runner.run(self.vault.get, check_name(name))
        return ListedSecret(secret.record, masked_value(secret))

    async def list(self, provider: str = "") -> list[ListedSecret]:
        entries = await self.runner.run(self.vault.entries)
        out = []
        for entry in entries:
            if provider and entry.record.provider != provider:
                continue
            if entry.value is None:
                out.append(ListedSecret(entry.record, "", damaged=True))
            else:
                out.append(ListedSecret(entry.record, masked_value(Secret(entry.record, entry.value))))
        return out

    async def delete(self, name: str, caller: str = "") -> None:
        if not await self.runner.run(self.vault.delete, check_name(name)):
            raise NotFound(f"no secret named {name!r}", reason="SECRET_NOT_FOUND")
        await self.audit.secret_accessed(name, caller, "delete", True)

    async def import_from_env(
        self, variables: Mapping[str, str], overwrite: bool, caller: str = ""
    ) -> ImportResult:
        found, ignored = recognised(variables)
        existing = {entry.record.name for entry in await self.runner.run(self.vault.entries)}
        imported, kept = [], []
        for entry, value in found:
            if entry.name in existing and not overwrite:
                kept.append(entry.name)
                continue
            imported.append(
                await self.put(
                    entry.name, entry.kind, entry.provider, value, {"imported_from": entry.variable}, caller
                )
            )
        return ImportResult(imported, kept, ignored)

    async def validate(self, provider: str, value: str, name: str) -> Validation:
        """Format check, then the provider's live answer; stored with the secret when `name` is given."""
        if not provider and name:
            provider = (await self.runner.run(self.vault.get, check_name(name))).record.provider
        check_provider(provider)
        if not value:
            if not name:
                raise InvalidArgument(
                    "give a value or the name of a stored secret",
                    field_violations=[FieldViolation("value", "required when name is empty")],
                )
            value = (await self.runner.run(self.vault.get, check_name(name))).value
            store_result = True
        else:
            # A value given inline is only checked: it may not be what `name` holds.
            store_result = False
        problem = format_problem(provider, value)
        if problem is not None:
            result = Validation(ValidationState.INVALID, problem, self.clock.now())
        else:
            result = await self.checker.check(provider, value)
        if store_result:

            def record_result(secret: Secret) -> Secret:
                return Secret(replace(secret.record, validation=result), secret.value)

            await self.runner.run(self.vault.update, check_name(name), record_result)
        log.info("validated a %s key: %s", provider, result.state.value)
        return result

    async def rotate(self) -> RotationResult:
        result = await self.runner.run(self.vault.rotate)
        log.info("rotated to key version %d (%d re-encrypted)", result.key_version, result.reencrypted)
        return result


def masked_value(secret: Secret) -> str:
    """Tokens sets are masked by their access token, so the JSON around it never shows."""
    if secret.record.kind is SecretKind.OAUTH_TOKEN:
        try:
            return mask(TokenSet.from_value(secret.value).access_token)
        except (ValueError, KeyError):
            return "…"
    return mask(secret.value)
