import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from svckit import safe_open
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from svckit.paths import AllowedRoots
from svckit.safe_open import AtomicOutput, check_output, identity_of, open_regular, sweep_temp_files


@pytest.fixture
def root(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    return media


@pytest.mark.timeout(20)
def test_a_fifo_is_refused_without_blocking(root: Path) -> None:
    fifo = root / "clip.mp4"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(InvalidArgument) as info:
        AllowedRoots([root]).open_file(fifo, "tracks[0].clips[0].source.path")
    elapsed = time.perf_counter() - started
    print(f"FIFO refused in {elapsed * 1000:.2f} ms")
    assert info.value.reason == "NOT_A_FILE"
    assert info.value.details.field_violations[0].field == "tracks[0].clips[0].source.path"
    assert "FIFO" in info.value.message


def test_sockets_devices_and_folders_are_refused(root: Path) -> None:
    sock_path = root / "s.mp4"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        with pytest.raises(InvalidArgument, match="socket"):
            open_regular(sock_path, (root,))
    finally:
        server.close()
    with pytest.raises(InvalidArgument, match="character device"):
        open_regular("/dev/zero", ())
    with pytest.raises(InvalidArgument, match="directory"):
        open_regular(root, ())


def test_a_regular_file_opens_and_reads_through_its_descriptor(root: Path) -> None:
    (root / "a.mp4").write_bytes(b"data")
    with AllowedRoots([root]).open_file(root / "a.mp4") as opened:
        assert opened.size == 4
        assert Path(opened.proc_path).read_bytes() == b"data"
        assert opened.identity == identity_of(root / "a.mp4")
        assert os.get_blocking(opened.fd)


def test_a_symlink_inside_a_root_is_followed_but_not_out_of_it(tmp_path: Path, root: Path) -> None:
    (root / "real.mp4").write_bytes(b"x")
    (root / "alias.mp4").symlink_to(root / "real.mp4")
    (tmp_path / "secret").write_text("s")
    (root / "escape.mp4").symlink_to(tmp_path / "secret")
    with open_regular(root / "alias.mp4", (root,)) as opened:
        assert opened.path == root / "real.mp4"
    with pytest.raises(PermissionDenied):
        open_regular(root / "escape.mp4", (root,))


def test_a_symlink_swapped_in_after_the_check_is_not_followed(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap happens between resolving the path and opening it: the walk refuses the new symlink,
    the retry resolves the path again and finds it outside the roots."""
    (root / "sub").mkdir()
    clip = root / "sub" / "clip.mp4"
    clip.write_bytes(b"mine")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "clip.mp4").write_text("secret")
    real_stat = os.stat
    swapped = []

    def stat_then_swap(path: object, *args: object, **kwargs: object) -> os.stat_result:
        result = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if not swapped:
            swapped.append(True)
            (root / "sub").rename(root / "old")
            (root / "sub").symlink_to(outside)
        return result

    monkeypatch.setattr(safe_open.os, "stat", stat_then_swap)
    with pytest.raises(PermissionDenied):
        open_regular(clip, (root,))
    assert swapped


def test_missing_and_outside_files_get_distinct_errors(tmp_path: Path, root: Path) -> None:
    with pytest.raises(NotFound):
        open_regular(root / "nope.mp4", (root,))
    (tmp_path / "x.mp4").write_bytes(b"x")
    with pytest.raises(PermissionDenied):
        open_regular(tmp_path / "x.mp4", (root,))
    with pytest.raises(InvalidArgument):
        open_regular("", (root,))
    with pytest.raises(InvalidArgument) as unknown_user:  # issue 15 item 6: no file can have it
        open_regular("~nosuchuser_zz/x.mp4", (root,))
    assert unknown_user.value.reason == "UNKNOWN_USER"


def test_output_onto_a_source_through_a_symlinked_folder_is_refused(tmp_path: Path, root: Path) -> None:
    source = root / "in.mp4"
    source.write_bytes(b"source")
    (tmp_path / "via").symlink_to(root)
    protect = [identity_of(source)]
    with pytest.raises(InvalidArgument) as info:
        check_output(tmp_path / "via" / "in.mp4", (), "output.path", [p for p in protect if p])
    assert info.value.reason == "OUTPUT_IS_SOURCE"
    os.link(source, root / "hard.mp4")
    with pytest.raises(InvalidArgument):
        check_output(root / "hard.mp4", (root,), "output.path", [p for p in protect if p])
    assert (
        check_output(root / "out.mp4", (root,), "output.path", [p for p in protect if p]) == root / "out.mp4"
    )


def test_bad_output_locations_are_refused_before_any_work(root: Path) -> None:
    # A missing folder is made by the writer; one under a file never can be.
    assert check_output(root / "no" / "such" / "out.mp4", (root,)) == root / "no" / "such" / "out.mp4"
    (root / "file").write_bytes(b"")
    with pytest.raises(FailedPrecondition) as missing:
        check_output(root / "file" / "sub" / "out.mp4", (root,))
    assert missing.value.details.field_violations[0].field == "output.path"
    with pytest.raises(InvalidArgument, match="directory"):
        check_output(root, ())
    with pytest.raises(InvalidArgument):
        check_output(str(root) + "/", ())
    with pytest.raises(InvalidArgument, match="too long"):
        check_output(root / ("n" * 300 + ".mp4"), ())
    with pytest.raises(FailedPrecondition):
        check_output(root / "file" / "out.mp4", ())


def test_atomic_output_renames_on_commit_and_cleans_up_on_failure(root: Path) -> None:
    final = root / "out.mp4"
    with AtomicOutput(final) as out:
        out.temp.write_bytes(b"done")
        assert out.temp.parent == root and out.temp.name.startswith(".out.mp4.")
        out.commit()
    assert final.read_bytes() == b"done"
    with pytest.raises(RuntimeError), AtomicOutput(final) as out:
        out.temp.write_bytes(b"half")
        raise RuntimeError("render failed")
    assert final.read_bytes() == b"done"
    assert [p.name for p in root.iterdir()] == ["out.mp4"]


def test_atomic_output_never_replaces_a_protected_file(root: Path, tmp_path: Path) -> None:
    source = root / "in.mp4"
    source.write_bytes(b"source")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    ident = identity_of(source)
    assert ident is not None
    with AtomicOutput(out_dir / "in.mp4", protect=[ident]) as out:
        out.temp.write_bytes(b"render")
        # The output folder is swapped for a symlink to the sources' folder while rendering.
        out.temp.rename(root / out.temp.name)
        out.temp = root / out.temp.name
        out_dir.rename(tmp_path / "gone")
        out_dir.symlink_to(root)
        with pytest.raises(InvalidArgument):
            out.commit()
    assert source.read_bytes() == b"source"


def test_sweep_removes_temp_files_of_dead_writers_only(root: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    (root / f".out.mp4.pid{dead_pid}.abc.part").write_bytes(b"x")
    (root / f".out.mp4.pid{os.getpid()}.abc.part").write_bytes(b"x")
    (root / "keep.part").write_bytes(b"x")
    removed = sweep_temp_files(root)
    assert [p.name for p in removed] == [f".out.mp4.pid{dead_pid}.abc.part"]
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [f".out.mp4.pid{os.getpid()}.abc.part", "keep.part"]
    )


def test_an_output_folder_swapped_for_a_symlink_keeps_the_output_inside_the_roots(
    root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "out").mkdir()
    with AtomicOutput(root / "out" / "render.mp4", roots=(root,)) as out:
        out.temp.write_bytes(b"render")
        (root / "out").rename(root / "moved")
        (root / "out").symlink_to(outside)
        out.commit()
    assert not list(outside.iterdir())
    assert (root / "moved" / "render.mp4").read_bytes() == b"render"
    assert [p.name for p in (root / "moved").iterdir()] == ["render.mp4"]
    with pytest.raises(PermissionDenied):
        AtomicOutput(root / "out" / "again.mp4", roots=(root,))
    assert not list(outside.iterdir())
