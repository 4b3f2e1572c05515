"""svckit.json_input: short enum names, unknown fields and values with did-you-mean."""

from __future__ import annotations

import pytest
from svckit.did_you_mean import near
from svckit.errors import InvalidArgument
from svckit.json_input import enum_short_names, parse_dict, parse_json
from tstudio.compiler.v1 import compiler_pb2, project_pb2


def test_short_enum_names_parse_as_the_full_ones() -> None:
    project = parse_dict(
        {
            "tracks": [
                {"id": "v", "kind": "VIDEO"},
                {"id": "a", "kind": "audio"},
                {"id": "t", "kind": "TRACK_KIND_TEXT"},
            ]
        },
        project_pb2.Project(),
    )
    assert [t.kind for t in project.tracks] == [
        project_pb2.TRACK_KIND_VIDEO,
        project_pb2.TRACK_KIND_AUDIO,
        project_pb2.TRACK_KIND_TEXT,
    ]


def test_short_names_inside_requests_and_numbers_still_work() -> None:
    request = parse_dict(
        {"project": {"tracks": [{"kind": 1}]}, "profile": "PREVIEW"}, compiler_pb2.RenderRequest()
    )
    assert request.profile == compiler_pb2.RENDER_PROFILE_PREVIEW
    assert request.project.tracks[0].kind == 1


def test_enum_short_names_drop_the_shared_prefix() -> None:
    names = enum_short_names(project_pb2.TrackKind.DESCRIPTOR)
    assert names["VIDEO"] == "TRACK_KIND_VIDEO"


def test_unknown_fields_and_values_are_each_named_once_with_a_did_you_mean() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_dict(
            {"tracks": [{"kidn": "VIDEO"}, {"kind": "VIDOE"}], "outptu": {}},
            project_pb2.Project(),
        )
    violations = {v.field: v.description for v in caught.value.details.field_violations}
    assert set(violations) == {"tracks[0].kidn", "tracks[1].kind", "outptu"}
    assert "did you mean 'kind'?" in violations["tracks[0].kidn"]
    assert "did you mean 'VIDEO'?" in violations["tracks[1].kind"]
    assert "must be VIDEO, OVERLAY, AUDIO, TEXT" in violations["tracks[1].kind"]
    assert "did you mean 'output'?" in violations["outptu"]


def test_malformed_json_is_invalid_argument_with_its_line() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_json('{"tracks": [\n}', project_pb2.Project())
    assert "line 2" in caught.value.details.field_violations[0].description


def test_did_you_mean_is_bounded() -> None:
    assert near("blurr", ["blur", "sharpen"]) == ["blur"]
    assert near("b" * 10_000, ["blur"]) == []
