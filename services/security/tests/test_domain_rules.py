"""Pure domain rules: PKCE, token expiry, env import mapping, key formats (no I/O)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from tstudio_security.domain.api_key_formats import PROVIDERS, format_problem
from tstudio_security.domain.env_import import recognised
from tstudio_security.domain.model import SecretKind
from tstudio_security.domain.oauth import TokenSet, check_redirect_uri, pkce_pair, s256_challenge


def test_s256_matches_the_rfc_7636_example() -> None:
    assert (
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pkce_verifiers_are_long_unreserved_and_fresh() -> None:
    pairs = [pkce_pair() for _ in range(20)]
    assert len({verifier for verifier, _ in pairs}) == 20
    for verifier, challenge in pairs:
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)
        assert challenge == s256_challenge(verifier)


def test_token_set_is_due_within_the_margin_and_hides_tokens() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    tokens = TokenSet("vimeo", "access-abc", "refresh-xyz", expires_at=now + timedelta(minutes=5))
    assert not tokens.due_for_refresh(now, timedelta(minutes=2))
    assert tokens.due_for_refresh(now + timedelta(minutes=3, seconds=1), timedelta(minutes=2))
    assert TokenSet.from_value(tokens.to_value()) == tokens
    assert "access-abc" not in repr(tokens) and "refresh-xyz" not in repr(tokens)


@pytest.mark.parametrize(
    "uri", ["http://example.com/cb", "ftp://127.0.0.1/cb", "https://app.example/cb#frag", "not a uri"]
)
def test_unsafe_redirect_uris_are_refused(uri: str) -> None:
    from svckit.errors import InvalidArgument

    with pytest.raises(InvalidArgument):
        check_redirect_uri(uri)


def test_env_import_maps_known_variables_only() -> None:
    found, ignored = recognised(
        {"OPENAI_API_KEY": "sk-x", "VIMEO_CLIENT_SECRET": "s", "PATH": "/bin", "CODECOV_TOKEN": ""}
    )
    assert [(e.name, e.provider, e.kind) for e, _ in found] == [
        ("openai-api-key", "openai", SecretKind.API_KEY),
        ("vimeo-client-secret", "vimeo", SecretKind.GENERIC),
    ]
    assert ignored == ["CODECOV_TOKEN", "PATH"]


def test_format_problems_never_echo_the_value() -> None:
    for provider in PROVIDERS:
        problem = format_problem(provider, "definitely-not-a-key-SECRETPART")
        assert problem is not None and "SECRETPART" not in problem
