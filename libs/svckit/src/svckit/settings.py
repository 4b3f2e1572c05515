"""Typed, frozen settings read once from the environment with a per-service prefix.

A service declares a dataclass extending `ServiceSettings`; `load_settings(MediaSettings, "MEDIA")`
reads `MEDIA_PORT`, `MEDIA_ALLOWED_ROOTS`, ... A field without a default is required: start-up stops
with a message naming the missing variable instead of failing later somewhere deep.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T", bound="ServiceSettings")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting is missing or cannot be read; the message names the environment variable."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    """What every service reads. Subclasses add their own fields and override `port`."""

    host: str = "127.0.0.1"
    port: int = 0
    # Prometheus endpoint; 0 turns it off.
    metrics_port: int = 0
    # Empty means the in-process event bus (the embedded default).
    nats_url: str = ""
    grace_seconds: float = 5.0
    log_level: str = "INFO"
    # JSON lines (production) or plain text (a developer's terminal).
    log_format: str = "json"
    max_message_bytes: int = 64 * 1024 * 1024
    # Connections are closed (gracefully) after this long, so load spreads over new replicas.
    max_connection_age_seconds: int = 300
    # Threads for blocking work (decoding, inference, KDFs).
    max_workers: int = 4
    # PEM files; when all three are set the server requires mTLS.
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_ca_file: str = ""
    # Folder that relative paths in requests resolve against when the request gives none (a
    # project's baseDir wins). Empty refuses relative paths: never the server's working directory.
    base_dir: str = ""


def load_settings(cls: type[T], prefix: str, environ: Mapping[str, str] | None = None) -> T:
    """Build `cls` from `<PREFIX>_<FIELD>` variables; defaults apply to the absent ones."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        name = f"{prefix}_{field.name.upper()}"
        raw = env.get(name)
        if raw is None:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise SettingsError(f"{name} is required but not set")
            continue
        try:
            values[field.name] = _convert(raw, hints[field.name])
        except ValueError as exc:
            raise SettingsError(f"{name}={raw!r}: {exc}") from None
    return cls(**values)


def _convert(raw: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if raw == "":
            return None
        return _convert(raw, options[0])
    if origin is tuple:
        (item,) = typing.get_args(kind)[:1]
        separator = os.pathsep if item is Path and os.pathsep in raw else ","
        return tuple(_convert(part.strip(), item) for part in raw.split(separator) if part.strip())
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("expected a boolean (true/false)")
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    if kind is Path:
        return Path(raw).expanduser()
    if kind is str:
        return raw
    raise ValueError(f"unsupported setting type {kind!r}")


def to_environ(settings: ServiceSettings, prefix: str) -> dict[str, str]:
    """The inverse of `load_settings`, for launching a service as a child process."""
    out: dict[str, str] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if isinstance(value, tuple):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = "" if value is None else str(value)
        out[f"{prefix}_{field.name.upper()}"] = text
    return out
