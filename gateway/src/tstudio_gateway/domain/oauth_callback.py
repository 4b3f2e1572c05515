"""Reading an OAuth redirect URL (`...?code=...&state=...` or `#access_token=...`), as the
frontend's parse_oauth_callback_url expects: pure Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from svckit.errors import InvalidArgument

FIELDS = ("code", "state", "error", "error_description", "access_token", "token_type", "expires_in")


def parse_callback_url(url: str, error: Callable[[str, str], InvalidArgument]) -> dict[str, Any]:
    """The callback's parameters by name (query first, then fragment); `error(field, problem)`
    builds the refusal for a URL that is not an OAuth callback."""
    parts = urlsplit(url)
    if not parts.scheme:
        raise error("url", "must be an absolute URL (the redirect the provider sent the user to)")
    found: dict[str, Any] = {}
    for source in (parts.fragment, parts.query):
        for key, values in parse_qs(source, keep_blank_values=False).items():
            if key in FIELDS and values:
                found[key] = values[0]
    if "expires_in" in found:
        try:
            found["expires_in"] = int(found["expires_in"])
        except ValueError:
            del found["expires_in"]
    if not {"code", "error", "access_token"} & set(found):
        raise error("url", "has no code, access_token or error parameter: not an OAuth callback")
    return found
