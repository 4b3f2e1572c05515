"""ProjectSchema -> Project as a domain function: units, layouts, joins, and every refusal by the
frontend's own field path."""

from __future__ import annotations

import math
from typing import Any

import pytest
from tstudio_compiler.domain.timeline_studio import ImportResult, SchemaRefused, import_project_schema
from tstudio_compiler.domain.timeline_studio.layout import Cell, place_in_cell
from tstudio_compiler.domain.transitions import builtin_transitions

from .timeline_studio_schema import (
    animation,
    clip,
    effect,
    filter_,
    schema,
    subtitle,
    track,
    transition,
    vertical_split,
)

TRANSITIONS = {name for t in builtin_transitions() for name in (t.type, *t.aliases)}


def translate(
    data: dict[str, Any], sizes: dict[str, tuple[int, int]] | None = None, output: str = "out.mp4"
) -> ImportResult:
    return import_project_schema(
        data,
        base_dir="/media",
        output_path=output,
        transitions=TRANSITIONS,
        source_size=lambda field, path: (sizes or {}).get(path, (1920, 1080)),
    )


def refused(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(SchemaRefused) as caught:
        translate(data)
    return dict(caught.value.refused)


def test_timeline_tracks_and_clips_map_onto_our_project() -> None:
    data = schema(
        metadata={"name": "Trip"},
        timeline={
            "duration": 4,
            "fps": 25,
            "resolution": [1280, 720],
            "sample_rate": 44100,
            "aspect_ratio": "Ratio16x9",
        },
        tracks=[
            track("v1", "Video", [clip("a", "a.mp4", 0, 2, 1.5, speed=2.0, volume=0.5)]),
            track("v2", "Video", [clip("b", "b.png", 1, 3)]),
            track("m", "Audio", [clip("c", "music.mp3", 0, 4)], volume=0.3, enabled=False),
        ],
    )
    project = translate(data).project
    assert project["name"] == "Trip"
    assert project["settings"] == {"width": 1280, "height": 720, "fps": 25, "sampleRate": 44100}
    assert project["baseDir"] == "/media"
    kinds = [t["kind"] for t in project["tracks"]]
    assert kinds == ["TRACK_KIND_VIDEO", "TRACK_KIND_OVERLAY", "TRACK_KIND_AUDIO"]
    a = project["tracks"][0]["clips"][0]
    assert a == {
        "id": "a",
        "source": {"path": "a.mp4"},
        "start": 0,
        "duration": 2,
        "sourceIn": 1.5,
        "speed": 2.0,
        "volume": 0.5,
    }
    music = project["tracks"][2]
    assert music["volume"] == 0.3 and music["muted"] is True
    assert project["output"]["path"] == "out.mp4"


def test_effects_convert_css_units_and_accept_raw_or_tagged_parameters() -> None:
    data = schema(
        tracks=[track("v", "Video", [clip("a", "a.mp4", 0, 2, effects=["b", "s", "h", "f"])])],
        effects=[
            effect("b", "Brightness", value=1.2),
            effect("s", "Sepia", intensity={"type": "Float", "value": 0.8}),
            effect("h", "HueRotate", angle=270),
            effect("f", "AudioFadeIn", duration={"type": "Float", "value": 0.5}),
        ],
    )
    c = translate(data).project["tracks"][0]["clips"][0]
    assert c["effects"][0]["type"] == "brightness" and c["effects"][0]["params"]["value"] == pytest.approx(
        0.2
    )
    assert c["effects"][1] == {"type": "sepia", "params": {"intensity": 0.8}}
    assert c["effects"][2] == {"type": "hue-rotate", "params": {"degrees": -90}}
    assert c["audioEffects"] == [{"type": "fade-in", "params": {"duration": 0.5}}]


def test_filters_scale_by_intensity_and_become_grade_effects() -> None:
    data = schema(
        tracks=[track("v", "Video", [clip("a", "a.mp4", 0, 2, filters=["warm"])])],
        filters=[
            filter_(
                "warm", "Brightness", brightness=0.2, contrast=1.4, temperature=25, shadows=0.1, intensity=0.5
            )
        ],
    )
    effects = translate(data).project["tracks"][0]["clips"][0]["effects"]
    assert effects[0] == {
        "type": "color-correction",
        "params": {
            "brightness": pytest.approx(0.1),
            "contrast": pytest.approx(1.2),
            "saturation": 1.0,
            "gamma": 1.0,
        },
    }
    assert effects[1]["type"] == "tone-curve" and effects[1]["params"]["shadows"] == pytest.approx(0.05)
    assert effects[2] == {"type": "temperature", "params": {"kelvin": pytest.approx(6000)}}


def test_multicamera_cover_cell_crops_to_the_cell_and_places_it() -> None:
    transform, crop = place_in_cell(Cell(50, 0, 50, 100, "Cover", "Center", "Center"), (160, 120), (320, 180))
    # A 4:3 picture covering a 160x180 cell keeps 2/3 of its width, centred.
    assert crop == {"left": pytest.approx(1 / 6), "right": pytest.approx(1 / 6)}
    assert transform == {"x": pytest.approx(0.75), "y": pytest.approx(0.5), "scale": pytest.approx(0.5)}
    transform, crop = place_in_cell(Cell(0, 0, 50, 50, "Contain", "Left", "Top"), (1920, 1080), (1920, 1080))
    assert crop == {}
    assert transform == {"x": pytest.approx(0.25), "y": pytest.approx(0.25), "scale": pytest.approx(0.5)}


def test_template_cells_use_the_measured_source_size() -> None:
    data = schema(
        timeline={"fps": 30, "resolution": [320, 180], "sample_rate": 48000},
        templates=[vertical_split("split", 2)],
        tracks=[track("v", "Video", [clip("a", "cam.mp4", 0, 2, template_id="split", template_cell=1)])],
    )
    c = translate(data, {"cam.mp4": (160, 120)}).project["tracks"][0]["clips"][0]
    assert c["transform"]["x"] == pytest.approx(0.75)
    assert c["crop"]["left"] == pytest.approx(1 / 6)


def test_adjacent_clips_with_a_transition_extend_the_first_clip_into_its_source() -> None:
    data = schema(
        tracks=[track("v", "Video", [clip("a", "a.mp4", 0, 2), clip("b", "b.mp4", 2, 4)])],
        transitions=[transition("t", "slide", "a", "b", 0.5, direction="right")],
    )
    result = translate(data)
    a, b = result.project["tracks"][0]["clips"]
    assert a["duration"] == 2.5
    assert b["transition"] == {"type": "slideright", "duration": 0.5}
    assert any("extended by 0.5 s" in note for _, note in result.notes)
    assert result.frontend_path("tracks[0].clips[1].transition.duration") == "transitions[0].duration"


def test_subtitles_become_a_text_track_placed_by_their_anchor() -> None:
    data = schema(
        timeline={"fps": 30, "resolution": [320, 180], "sample_rate": 48000},
        subtitles=[
            subtitle(
                "s1", "Hello", 0.5, 3.0, [animation("in", "FadeIn", 0.3), animation("out", "FadeOut", 0.4)]
            )
        ],
    )
    result = translate(data)
    text_track = result.project["tracks"][-1]
    assert text_track["kind"] == "TRACK_KIND_TEXT"
    c = text_track["clips"][0]
    assert c["start"] == 0.5 and c["duration"] == 2.5 and c["fadeIn"] == 0.3 and c["fadeOut"] == 0.4
    assert c["source"]["text"] == {
        "text": "Hello",
        "fontSize": 24.0,
        "font": "Arial",
        "color": "#ffffff",
        "strokeColor": "#000000",
        "strokeWidth": 2.0,
        "align": "center",
    }
    # Bottom-anchored at 85 % with a 20 px margin: the text's bottom edge sits at 153 - 20 px.
    assert c["transform"]["y"] * 180 + 24 * 1.2 / 2 == pytest.approx(0.85 * 180 - 20)
    assert any(field.endswith("shadow_color") for field, _ in result.notes)


def test_what_cannot_be_rendered_is_refused_by_the_frontends_field_path() -> None:
    data = schema(
        tracks=[
            track("s", "Subtitle", []),
            track(
                "v",
                "Video",
                [
                    clip("a", "a.mp4", 0, 2, effects=["holo", "missing"], style_template_id="intro"),
                    clip("b", "b.mp4", 2, 4),
                ],
            ),
        ],
        effects=[effect("holo", "Hologram", intensity=0.5)],
        transitions=[transition("t", "cube-3d", "a", "b", 1.0)],
        subtitles=[
            subtitle("s1", "Hi", 0, 1, [animation("in", "FadeIn", 0.2), animation("tw", "TypeWriter", 0.5)])
        ],
        settings={
            "export": {
                "format": "Avi",
                "quality": 85,
                "video_bitrate": 8000,
                "audio_bitrate": 192,
                "hardware_acceleration": False,
                "ffmpeg_args": ["-crf", "20", "-vf", "eq=brightness=1"],
            }
        },
    )
    problems = refused(data)
    assert "not rendered yet" in problems["effects[0].effect_type"]
    assert "no effect with id 'missing'" in problems["tracks[1].clips[0].effects[1]"]
    assert "tracks[1].clips[0].style_template_id" in problems
    assert "'cube-3d'" in problems["transitions[0].transition_type"]
    assert "'TypeWriter'" in problems["subtitles[0].animations[1].animation_type"]
    assert "Avi" in problems["settings.export.format"]
    assert "-vf" in problems["settings.export.ffmpeg_args[2]"]
    assert "settings.export.ffmpeg_args[0]" not in problems


@pytest.mark.parametrize(
    ("bad_clip", "field", "why"),
    [
        ({"start_time": None}, "start_time", "is required"),
        ({"start_time": "0"}, "start_time", "finite number"),
        ({"end_time": 0}, "end_time", "after start_time"),
        ({"speed": 0}, "speed", "0.1..16"),
        ({"source_path": ""}, "source_path", "is required"),
    ],
)
def test_malformed_clips_name_their_field(bad_clip: dict[str, Any], field: str, why: str) -> None:
    c = clip("a", "a.mp4", 0, 2)
    c.update(bad_clip)
    problems = refused(schema(tracks=[track("v", "Video", [c])]))
    assert why in problems[f"tracks[0].clips[0].{field}"]


def test_non_finite_and_wrong_types_are_refused_not_crashed_on() -> None:
    problems = refused(schema(timeline={"fps": math.inf, "resolution": "big"}, tracks="none"))
    assert set(problems) >= {"timeline.fps", "timeline.resolution", "tracks"}


def test_export_settings_map_units_and_known_ffmpeg_arguments() -> None:
    data = schema()
    data["settings"]["export"].update(
        format="WebM",
        quality=70,
        video_bitrate=2500,
        hardware_acceleration=False,
        ffmpeg_args=["-crf", "30", "-preset", "slow", "-movflags", "+faststart"],
    )
    output = translate(data, output="/out/x.webm").project["output"]
    assert output == {
        "path": "/out/x.webm",
        "container": "webm",
        "quality": 70,
        "videoBitrate": "2500000",
        "audioBitrate": "192000",
        "hardwareAcceleration": "HARDWARE_ACCELERATION_NONE",
        "crf": 30,
        "preset": "slow",
    }


def test_our_paths_map_back_to_the_frontends_after_skipped_subtitle_tracks() -> None:
    data = schema(tracks=[track("s", "Subtitle", []), track("v", "Video", [clip("a", "a.mp4", 0, 2)])])
    result = translate(data)
    assert result.frontend_path("tracks[0].clips[0].source.path") == "tracks[1].clips[0].source_path"
    assert result.frontend_path("tracks[0].clips[0].duration") == "tracks[1].clips[0].end_time"
    assert result.frontend_path("settings.width") == "timeline.resolution[0]"
    assert result.frontend_path("output.quality") == "settings.export.quality"
