from pathlib import Path

import pytest
from svckit.errors import InvalidArgument, NotFound, PermissionDenied
from svckit.paths import AllowedRoots


def test_paths_inside_a_root_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "a.mp4").write_bytes(b"x")
    assert AllowedRoots([tmp_path]).existing_file(tmp_path / "a.mp4") == (tmp_path / "a.mp4").resolve()


def test_dot_dot_cannot_leave_a_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("s")
    with pytest.raises(PermissionDenied) as info:
        AllowedRoots([root]).existing_file(f"{root}/../secret.txt")
    assert info.value.details.field_violations[0].field == "path"


def test_symlink_cannot_escape_a_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("s")
    (root / "link.mp4").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(PermissionDenied):
        AllowedRoots([root]).existing_file(root / "link.mp4")


def test_missing_file_and_directory_get_distinct_errors(tmp_path: Path) -> None:
    roots = AllowedRoots([tmp_path])
    with pytest.raises(NotFound):
        roots.existing_file(tmp_path / "nope.mp4")
    with pytest.raises(InvalidArgument):
        roots.existing_file(tmp_path)
    with pytest.raises(InvalidArgument):
        roots.existing_file("")


def test_no_roots_allows_everything(tmp_path: Path) -> None:
    assert AllowedRoots().check("/etc/hostname") == Path("/etc/hostname").resolve()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("~nosuchuser_tstudio/x.mp4", "UNKNOWN_USER"),
        ("/tmp/" + "n" * 256, "INVALID_PATH"),
        ("/tmp/" + "d/" * 2100 + "x", "INVALID_PATH"),
        ("/tmp/\ud800.mp4", "INVALID_PATH"),
    ],
    ids=["unknown-user", "long-name", "long-path", "surrogate"],
)
def test_paths_no_file_can_have_are_invalid_argument_with_the_field(path: str, reason: str) -> None:
    for roots in (AllowedRoots(), AllowedRoots(["/tmp"])):
        with pytest.raises(InvalidArgument) as caught:
            roots.existing_file(path, field="clips[0].path")
        assert caught.value.reason == reason
        assert [v.field for v in caught.value.details.field_violations] == ["clips[0].path"]


def test_a_name_of_255_bytes_is_still_a_path(tmp_path: Path) -> None:
    name = tmp_path / ("n" * 255)
    name.write_bytes(b"x")
    assert AllowedRoots([tmp_path]).existing_file(str(name)) == name
