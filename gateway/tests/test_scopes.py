"""Token scopes, pure: the scope each command and subscription needs, and what a token's scopes grant."""

from __future__ import annotations

import pytest
from svckit.errors import Code, InvalidArgument
from tstudio_gateway.api.errors import error_body
from tstudio_gateway.domain.scopes import (
    ADMIN_COMMANDS,
    SERVICES,
    MissingScope,
    command_scope,
    missing_scopes,
    require_scopes,
    subject_scopes,
)
from tstudio_gateway.server import command_table


@pytest.mark.parametrize(
    ("service", "name", "scope"),
    [
        ("compiler", "render", "compiler"),
        ("media", "probe", "media"),
        ("recognition", "detect_image", "recognition"),
        ("security", "list_secrets", "security"),
        ("compiler", "install_plugin", "admin"),
        ("compiler", "clear_cache", "admin"),
        ("security", "put_secret", "admin"),
        ("security", "get_secret", "admin"),
        ("recognition", "register_model", "admin"),
        # An RPC the contracts gain later needs its service's scope until someone says otherwise.
        ("media", "some_future_rpc", "media"),
        ("gateway", "check_services_health", None),
    ],
)
def test_a_command_needs_its_service_scope_or_admin(service: str, name: str, scope: str | None) -> None:
    assert command_scope(service, name) == scope


def test_every_admin_command_exists_in_the_contracts() -> None:
    # A renamed RPC must not silently fall back to the weaker service scope.
    known = {command.qualified for command in command_table().commands}
    assert ADMIN_COMMANDS <= known, sorted(ADMIN_COMMANDS - known)


def test_the_command_table_carries_the_mapping() -> None:
    table = command_table()
    assert table.resolve("load_plugin").scope == "admin"
    assert table.resolve("probe_media_file").scope == "media"
    assert table.resolve("check_services_health").scope is None


@pytest.mark.parametrize(
    ("pattern", "scopes"),
    [
        ("tstudio.compiler.render.job-1.progress", ("compiler",)),
        ("tstudio.media.>", ("media",)),
        ("tstudio.*.render.*.progress", SERVICES),
        ("tstudio.>", SERVICES),
    ],
)
def test_a_subscription_needs_the_scope_of_the_publishing_service(
    pattern: str, scopes: tuple[str, ...]
) -> None:
    assert subject_scopes(pattern) == scopes


def test_an_invalid_pattern_is_refused_before_scopes_are_asked() -> None:
    with pytest.raises(InvalidArgument):
        subject_scopes(">")


@pytest.mark.parametrize(
    ("granted", "required", "missing"),
    [
        ({"*"}, ["admin", "media"], []),
        ({"media"}, ["media"], []),
        ({"media"}, [None], []),
        (set(), [None], []),
        ({"admin"}, ["compiler"], ["compiler"]),
        ({"compiler"}, ["admin"], ["admin"]),
        ({"media", "compiler"}, list(SERVICES), ["recognition", "security"]),
        ({"media"}, ["compiler", "compiler"], ["compiler"]),
    ],
)
def test_scopes_do_not_imply_each_other_except_star(
    granted: set[str], required: list[str | None], missing: list[str]
) -> None:
    assert missing_scopes(frozenset(granted), required) == missing


def test_a_missing_scope_is_permission_denied_naming_it() -> None:
    with pytest.raises(MissingScope) as caught:
        require_scopes(frozenset({"media"}), ["admin"], "compiler.install_plugin")
    error = caught.value
    assert error.code is Code.PERMISSION_DENIED and error.reason == "MISSING_SCOPE"
    body = error_body(error)["error"]
    assert body["status"] == 403 and body["missing_scopes"] == ["admin"]
    assert "'admin'" in body["message"] and "compiler.install_plugin" in body["message"]
