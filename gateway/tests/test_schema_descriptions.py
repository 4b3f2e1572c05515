"""The contracts' comments reach the JSON Schema (and so the OpenAPI document) as descriptions."""

from __future__ import annotations

import jsonschema
from tstudio.compiler.v1 import compiler_pb2, project_pb2
from tstudio_gateway.adapters.catalogue import openapi
from tstudio_gateway.adapters.json_schema import standalone_schema
from tstudio_gateway.server import command_table


def test_proto_comments_become_descriptions() -> None:
    schema = standalone_schema(project_pb2.Project.DESCRIPTOR)
    clip = schema["$defs"]["tstudio.compiler.v1.Clip"]
    assert "source seconds" in clip["properties"]["source_in"]["description"]
    assert "overlap" in clip["properties"]["transition"]["description"]
    assert "timeline to render" in schema["$defs"]["tstudio.compiler.v1.Project"]["description"]


def test_short_enum_names_are_valid_in_the_schema() -> None:
    schema = standalone_schema(compiler_pb2.RenderRequest.DESCRIPTOR)
    request = {"project": {"tracks": [{"id": "v", "kind": "VIDEO"}]}, "profile": "PREVIEW"}
    jsonschema.validate(request, schema)


def test_rpc_comments_describe_the_openapi_operations() -> None:
    document = openapi(command_table())
    render = document["paths"]["/api/v1/invoke/compiler.render"]["post"]
    assert "streaming progress" in render["description"]
