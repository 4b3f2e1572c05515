from dataclasses import dataclass
from pathlib import Path

import pytest
from svckit.settings import ServiceSettings, SettingsError, load_settings, to_environ


@dataclass(frozen=True, kw_only=True)
class DemoSettings(ServiceSettings):
    port: int = 50099
    api_url: str
    roots: tuple[Path, ...] = ()
    debug: bool = False
    ratio: float = 0.5


def test_missing_required_setting_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="DEMO_API_URL is required"):
        load_settings(DemoSettings, "DEMO", environ={})


def test_values_are_converted_to_their_declared_types() -> None:
    settings = load_settings(
        DemoSettings,
        "DEMO",
        environ={"DEMO_API_URL": "http://x", "DEMO_ROOTS": "/a,/b", "DEMO_DEBUG": "yes", "DEMO_PORT": "7"},
    )
    assert settings.port == 7
    assert settings.roots == (Path("/a"), Path("/b"))
    assert settings.debug is True
    assert settings.ratio == 0.5


def test_unreadable_value_is_reported_with_its_variable() -> None:
    with pytest.raises(SettingsError, match="DEMO_PORT='abc'"):
        load_settings(DemoSettings, "DEMO", environ={"DEMO_API_URL": "x", "DEMO_PORT": "abc"})


def test_to_environ_round_trips() -> None:
    original = DemoSettings(api_url="u", roots=(Path("/r"),), debug=True)
    assert load_settings(DemoSettings, "DEMO", environ=to_environ(original, "DEMO")) == original
