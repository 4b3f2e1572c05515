"""Relative request paths resolve against the service's base folder, never its working folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from svckit.errors import InvalidArgument
from svckit.paths import AllowedRoots


def test_a_relative_path_resolves_against_the_base_folder(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"x")
    roots = AllowedRoots([tmp_path], base_dir=tmp_path)
    assert roots.existing_file("clip.mp4") == tmp_path / "clip.mp4"


def test_without_a_base_folder_a_relative_path_is_refused_with_its_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)  # would have been found here before
    with pytest.raises(InvalidArgument) as caught:
        AllowedRoots().check("clip.mp4", field="tracks[0].clips[0].source.path")
    violation = caught.value.details.field_violations[0]
    assert violation.field == "tracks[0].clips[0].source.path"
    assert "baseDir" in violation.description and "BASE_DIR" in violation.description


def test_open_roots_are_warned_about_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import dataclass

    from svckit.bootstrap import warn_open_roots
    from svckit.settings import ServiceSettings

    @dataclass(frozen=True, kw_only=True)
    class Rooted(ServiceSettings):
        allowed_roots: tuple[Path, ...] = ()

    assert warn_open_roots("media", Rooted())
    assert "MEDIA_ALLOWED_ROOTS is empty" in caplog.text
    assert not warn_open_roots("media", Rooted(allowed_roots=(Path("/srv"),)))
    assert not warn_open_roots("security", ServiceSettings())
