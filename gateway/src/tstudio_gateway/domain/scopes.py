"""Token scopes: which scope each command and each event subscription needs, and whether a
caller's scopes grant it.

A command needs the scope named after its service (`compiler`, `media`, `recognition`,
`security`), except management commands, which need `admin`: they change what every user of the
deployment gets (plugins, models, caches, secrets, access tokens). `*` grants everything; the
dev token and the static GATEWAY_TOKENS carry it. Scopes do not imply one another: `admin`
alone cannot render, and `compiler` alone cannot install a plugin.

An event subscription needs the scope of the service publishing the subject
(`tstudio.<service>.…`); a pattern whose service token is a wildcard may deliver any service's
events, so it needs every service's scope.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from svckit.errors import PermissionDenied

from tstudio_gateway.domain.subjects import check_subject_pattern

ALL = "*"
ADMIN = "admin"
SERVICES = ("compiler", "media", "recognition", "security")

# Qualified command names that manage the deployment rather than use it. A name here that the
# contracts lose is caught by a test, so a renamed RPC cannot silently drop to its service scope.
ADMIN_COMMANDS = frozenset(
    {
        "compiler.install_plugin",
        "compiler.remove_plugin",
        "compiler.clear_cache",
        "recognition.register_model",
        "recognition.remove_model",
        "security.put_secret",
        # Answers a secret's plaintext, which only management tools should need.
        "security.get_secret",
        "security.delete_secret",
        "security.import_from_env",
        "security.rotate_master_key",
        "security.issue_access_token",
        "security.revoke_access_token",
        # The gateway verifies tokens itself; exposed to callers it would be a token oracle.
        "security.verify_access_token",
    }
)

# Commands the gateway answers itself about what anyone may see anyway (GET /api/v1/health
# is public): any valid token may call them.
OPEN_SERVICES = frozenset({"gateway"})


class MissingScope(PermissionDenied):
    """The caller's token lacks a scope the request needs; `missing` names each one."""

    default_reason = "MISSING_SCOPE"

    def __init__(self, what: str, missing: list[str]) -> None:
        quoted = ", ".join(repr(s) for s in missing)
        noun = "scope" if len(missing) == 1 else "scopes"
        super().__init__(
            f"the token lacks the {noun} {quoted} that {what} needs",
            metadata={"missing_scopes": ",".join(missing)},
        )
        self.missing = missing


def command_scope(service: str, name: str) -> str | None:
    """The scope a command (`service`, snake_case `name`) needs; None when any valid token may call it."""
    if service in OPEN_SERVICES:
        return None
    if f"{service}.{name}" in ADMIN_COMMANDS:
        return ADMIN
    return service


def subject_scopes(pattern: str) -> tuple[str, ...]:
    """The scopes a subscription to `pattern` needs (the pattern is validated first)."""
    service = check_subject_pattern(pattern).split(".")[1]
    if service in ("*", ">"):
        return SERVICES
    return (service,)


def missing_scopes(granted: Collection[str], required: Iterable[str | None]) -> list[str]:
    """The required scopes `granted` does not cover, in order; empty when all are granted."""
    if ALL in granted:
        return []
    return [scope for scope in dict.fromkeys(required) if scope is not None and scope not in granted]


def require_scopes(granted: Collection[str], required: Iterable[str | None], what: str) -> None:
    """Raise `MissingScope` (PERMISSION_DENIED) naming what `granted` lacks for `what`."""
    missing = missing_scopes(granted, required)
    if missing:
        raise MissingScope(what, missing)
