from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from svckit.errors import InvalidArgument
from svckit.testing import make_video
from tstudio_compiler.scale.adapters.fingerprint import fingerprint_file, media_duration
from tstudio_compiler.scale.adapters.fingerprint_ledger import FingerprintLedger, ledger_path_for
from tstudio_compiler.scale.adapters.media_search import MediaSearch
from tstudio_compiler.scale.domain.relink import (
    Candidate,
    KnownMedia,
    ProjectSource,
    apply_relinks,
    choose,
    project_sources,
    relink,
    score,
)
from tstudio_compiler.scale.relink_service import find_missing_media, relink_media


def source(
    path: str = "media/a.mp4", known: KnownMedia | None = None, min_duration: float = 0.0
) -> ProjectSource:
    return ProjectSource(
        path, f"/p/{path}", ("tracks[0].clips[0].source.path",), min_duration, known or KnownMedia()
    )


# -- pure scoring ---------------------------------------------------------------------------------


def test_content_match_wins_whatever_the_file_is_called_now() -> None:
    missing = source(known=KnownMedia(size=100, sample_hash="h1", duration=2.0))
    renamed = Candidate("/x/holiday-final.mp4", 100, 2.0, "h1")
    impostor = Candidate("/y/a.mp4", 100, 2.0, "h2")
    proposal = choose(missing, [impostor, renamed])
    assert proposal is not None and proposal.new_path == renamed.path
    assert "renamed" in proposal.reasons
    assert score(missing, impostor)[0] == 0.0


def test_same_name_without_a_fingerprint_is_proposed_only_when_unambiguous() -> None:
    missing = source()
    only = Candidate("/x/a.mp4", 100, 3.0, "h")
    proposal = choose(missing, [only])
    assert proposal is not None and 0.5 <= proposal.confidence < 0.98
    assert choose(missing, [only, Candidate("/y/a.mp4", 50, 3.0, "g")]) is None


@pytest.mark.parametrize(
    ("known", "candidate", "why"),
    [
        (KnownMedia(size=100), Candidate("/x/a.mp4", 101, 2.0, "h"), "size differs"),
        (KnownMedia(duration=2.0), Candidate("/x/a.mp4", 100, 5.0, "h"), "duration differs"),
    ],
)
def test_same_name_with_other_size_or_duration_is_refused(
    known: KnownMedia, candidate: Candidate, why: str
) -> None:
    assert score(source(known=known), candidate) == (0.0, (why,))


def test_a_file_shorter_than_the_clip_needs_is_refused() -> None:
    confidence, reasons = score(source(min_duration=4.0), Candidate("/x/a.mp4", 100, 2.0, "h"))
    assert confidence == 0.0 and "shorter" in reasons[0]


def test_project_sources_collect_fields_and_resolve_relative_paths() -> None:
    project = {
        "tracks": [
            {
                "clips": [
                    {"source": {"path": "media/a.mp4"}, "sourceOut": 3},
                    {"source": {"text": {"text": "x"}}},
                ]
            },
            {
                "clips": [
                    {"source": {"path": "media/a.mp4"}, "sourceOut": 5},
                    {"source": {"path": "/abs/b.wav"}},
                ]
            },
        ]
    }
    sources = {s.path: s for s in project_sources(project, "/proj")}
    assert sources["media/a.mp4"].resolved == "/proj/media/a.mp4"
    assert sources["media/a.mp4"].fields == (
        "tracks[0].clips[0].source.path",
        "tracks[1].clips[0].source.path",
    )
    assert sources["media/a.mp4"].min_duration == 5
    assert sources["/abs/b.wav"].resolved == "/abs/b.wav"
    report = relink(list(sources.values()), [Candidate("/new/b.wav", 10, 9.0, "h")])
    relinked = apply_relinks(project, report.proposals)
    assert relinked["tracks"][1]["clips"][1]["source"]["path"] == "/new/b.wav"
    assert relinked["tracks"][0]["clips"][0]["source"]["path"] == "media/a.mp4"
    assert project["tracks"][1]["clips"][1]["source"]["path"] == "/abs/b.wav", "input left unchanged"
    inside = apply_relinks(project, report.proposals, base_dir="/new")
    assert inside["tracks"][1]["clips"][1]["source"]["path"] == "b.wav"


# -- on real files ----------------------------------------------------------------------------------


def make_project(folder: Path) -> tuple[Path, dict[str, object]]:
    make_video(folder / "media" / "a.mp4", seconds=2.0, colors=[(255, 0, 0)])
    make_video(folder / "media" / "b.mp4", seconds=1.0, colors=[(0, 0, 255)])
    project = {
        "name": "p",
        "tracks": [
            {
                "id": "v1",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [
                    {"id": "c1", "source": {"path": "media/a.mp4"}, "sourceOut": 2},
                    {"id": "c2", "source": {"path": "media/b.mp4"}, "start": 2, "sourceOut": 1},
                ],
            }
        ],
    }
    project_file = folder / "project.json"
    project_file.write_text(json.dumps(project))
    return project_file, project


def test_moved_and_renamed_files_are_found_and_an_impostor_is_refused(tmp_path: Path) -> None:
    project_file, project = make_project(tmp_path / "proj")
    base = str(project_file.parent)
    ledger = FingerprintLedger(ledger_path_for(project_file.parent))
    ledger.record([s.resolved for s in project_sources(project, base)])

    library = tmp_path / "library"
    (library / "renamed").mkdir(parents=True)
    (library / "moved").mkdir()
    shutil.move(tmp_path / "proj/media/a.mp4", library / "renamed" / "take-07.mp4")
    shutil.move(tmp_path / "proj/media/b.mp4", library / "moved" / "b.mp4")
    # Same name as the missing a.mp4, different picture: must not be chosen.
    make_video(library / "impostor" / "a.mp4", seconds=2.0, colors=[(0, 255, 0)])

    known = ledger.load()
    missing = find_missing_media(project, base, known)
    assert sorted(s.path for s in missing) == ["media/a.mp4", "media/b.mp4"]
    report = relink_media(project, base, [library], known)
    found = {p.source.path: p for p in report.proposals}
    assert found["media/a.mp4"].new_path == str(library / "renamed" / "take-07.mp4")
    assert found["media/a.mp4"].confidence >= 0.98
    assert found["media/b.mp4"].new_path == str(library / "moved" / "b.mp4")
    assert not report.unresolved


def test_without_a_ledger_an_impostor_shorter_than_the_clip_is_refused(tmp_path: Path) -> None:
    project_file, project = make_project(tmp_path / "proj")
    (tmp_path / "proj/media/a.mp4").unlink()
    make_video(tmp_path / "lib" / "a.mp4", seconds=1.0)  # the clip reads 2 s of it
    report = relink_media(project, str(project_file.parent), [tmp_path / "lib"])
    assert not report.proposals
    assert [s.path for s in report.unresolved] == ["media/a.mp4"]


def test_nothing_missing_means_nothing_to_do(tmp_path: Path) -> None:
    project_file, project = make_project(tmp_path / "proj")
    assert relink_media(project, str(project_file.parent), [tmp_path]).proposals == ()


def test_search_roots_must_be_directories(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument) as caught:
        MediaSearch([tmp_path, tmp_path / "nope"])
    assert caught.value.details.field_violations[0].field == "search_roots[1]"


def test_fingerprint_reads_samples_and_duration_comes_from_pyav(tmp_path: Path) -> None:
    path = make_video(tmp_path / "v.mp4", seconds=1.0)
    first = fingerprint_file(path)
    assert first == fingerprint_file(path)
    assert media_duration(path) == pytest.approx(1.0, abs=0.05)
    (tmp_path / "text.mp4").write_text("not media")
    assert media_duration(tmp_path / "text.mp4") is None
