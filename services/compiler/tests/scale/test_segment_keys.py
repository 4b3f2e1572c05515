from __future__ import annotations

import pytest
from svckit.errors import InvalidArgument
from tstudio_compiler.scale.domain.segment_keys import SourceFingerprint, canonical_json, segment_key


def _description(**changes: object) -> dict[str, object]:
    description: dict[str, object] = {
        "sources": [SourceFingerprint(size=10, mtime_ns=5, sample_hash="ab")],
        "clip": {"source_in": 1.0, "source_out": 4.5, "speed": 1},
        "effects": [{"type": "brightness", "params": {"value": 0.1}}],
        "output": {"width": 320, "height": 240, "codec": "h264", "crf": 23},
    }
    description.update(changes)
    return description


def test_key_ignores_dict_order_and_integral_float_spelling() -> None:
    a = {"b": 2.0, "a": [1, {"y": 1, "x": 0.5}]}
    b = {"a": [1, {"x": 0.5, "y": 1.0}], "b": 2}
    assert segment_key(a, "e1") == segment_key(b, "e1")
    assert canonical_json(a) == '{"a":[1,{"x":0.5,"y":1}],"b":2}'


@pytest.mark.parametrize(
    "change",
    [
        {"effects": [{"type": "brightness", "params": {"value": 0.2}}]},
        {"clip": {"source_in": 1.0, "source_out": 4.6, "speed": 1}},
        {"output": {"width": 320, "height": 240, "codec": "h264", "crf": 24}},
        {"sources": [SourceFingerprint(size=10, mtime_ns=6, sample_hash="ab")]},
        {"sources": [SourceFingerprint(size=10, mtime_ns=5, sample_hash="ac")]},
    ],
)
def test_any_change_that_decides_pixels_changes_the_key(change: dict[str, object]) -> None:
    assert segment_key(_description(), "e1") != segment_key(_description(**change), "e1")


def test_engine_version_is_part_of_the_key() -> None:
    assert segment_key(_description(), "e1") != segment_key(_description(), "e2")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object(), {1: "x"}])
def test_non_json_descriptions_are_refused_with_a_field_path(bad: object) -> None:
    with pytest.raises(InvalidArgument) as caught:
        segment_key({"clip": {"speed": bad}}, "e1")
    assert caught.value.details.field_violations[0].field.startswith("clip.speed")


def test_empty_engine_version_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        segment_key({}, "")
