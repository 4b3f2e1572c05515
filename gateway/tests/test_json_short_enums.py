"""The gateway reads JSON with svckit.json_input: short enum names, did-you-mean for unknown fields."""

from __future__ import annotations

import pytest
from svckit.errors import InvalidArgument
from tstudio.compiler.v1 import compiler_pb2, project_pb2
from tstudio_gateway.adapters.json_codec import parse_request


def test_short_enum_names_parse_in_requests() -> None:
    request = parse_request(
        {"project": {"tracks": [{"id": "v", "kind": "VIDEO"}]}, "profile": "preview"},
        compiler_pb2.RenderRequest,
    )
    assert request.project.tracks[0].kind == project_pb2.TRACK_KIND_VIDEO
    assert request.profile == compiler_pb2.RENDER_PROFILE_PREVIEW


def test_unknown_fields_are_named_with_the_nearest_field_once() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_request({"project": {"tracks": [{"id": "v", "kidn": "VIDEO"}]}}, compiler_pb2.RenderRequest)
    violations = caught.value.details.field_violations
    assert [(v.field, v.description) for v in violations] == [
        ("project.tracks[0].kidn", "unknown field 'kidn'; did you mean 'kind'?")
    ]
