"""Merge fields and title templates through gRPC: ListTemplates, each built-in renders, a user
template file is picked up, merge fields replace everywhere, and bad input names its field."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2, templates_pb2

from .conftest import Running, project, start_compiler
from .test_plugin_rpcs import field_violations

W, H = 480, 270
BUILTINS = {"lower-third", "title-card", "end-card", "caption-box", "call-out"}


@pytest.fixture
async def templated(tmp_path: Path) -> AsyncIterator[Running]:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "badge.json").write_text(
        json.dumps(
            {
                "id": "badge",
                "name": "Badge",
                "duration": 2,
                "fields": [{"name": "label", "default": "NEW"}],
                "clips": [
                    {
                        "id": "b",
                        "start": 0,
                        "duration": 2,
                        "source": {
                            "text": {"text": "{{label}}", "fontSize": 80, "backgroundColor": "#ff0000"}
                        },
                    }
                ],
            }
        )
    )
    (folder / "broken.json").write_text("{not json")
    async for running in start_compiler(tmp_path, templates_dir=folder):
        yield running


def edit(source: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "settings": {"width": W, "height": H, "fps": 30},
        "tracks": [
            {
                "id": "v",
                "kind": "TRACK_KIND_VIDEO",
                "clips": [{"id": "bg", "source": {"color": {"color": "#203040"}}, "duration": 6}],
            },
            {
                "id": "t",
                "kind": "TRACK_KIND_TEXT",
                "clips": [
                    {
                        "id": "tpl",
                        "source": source,
                        "start": 0.5,
                        **({} if "template" in source else {"duration": 4}),
                    }
                ],
            },
        ],
        **extra,
    }


async def frame(running: Running, data: dict[str, Any], t: float) -> np.ndarray:
    request = compiler_pb2.RenderFrameRequest(
        project=project(data), time=t, format=compiler_pb2.IMAGE_FORMAT_PNG
    )
    reply = await running.stub.RenderFrame(request)
    return np.asarray(Image.open(io.BytesIO(reply.image)).convert("RGB")).astype(int)


async def test_list_templates_shows_the_builtins_and_a_user_file(templated: Running) -> None:
    reply = await templated.stub.ListTemplates(templates_pb2.ListTemplatesRequest())
    by_id = {t.id: t for t in reply.templates}
    assert BUILTINS | {"badge"} == set(by_id)
    assert [f.name for f in by_id["lower-third"].fields] == ["title", "subtitle", "color"]
    assert by_id["lower-third"].origin == "builtin" and by_id["badge"].origin.endswith("badge.json")


@pytest.mark.parametrize("template_id", sorted(BUILTINS))
async def test_each_builtin_template_renders(templated: Running, template_id: str) -> None:
    background = await frame(templated, edit({"color": {"color": "#203040"}}), 2.0)
    picture = await frame(templated, edit({"template": {"id": template_id}}), 2.0)
    assert np.abs(picture - background).sum(axis=2).astype(bool).sum() > 500


async def test_template_fields_fill_the_text(templated: Running) -> None:
    default = await frame(templated, edit({"template": {"id": "badge"}}), 1.0)
    filled = await frame(templated, edit({"template": {"id": "badge", "fields": {"label": "HOT DEAL"}}}), 1.0)
    red = lambda p: ((p[..., 0] > 200) & (p[..., 1] < 60)).sum()  # noqa: E731
    assert red(filled) > red(default) * 1.5  # a longer label, a wider box


async def test_merge_fields_replace_everywhere(templated: Running, tmp_path: Path) -> None:
    merged = edit(
        {"text": {"text": "Hello {{NAME}}", "fontSize": 40, "color": "{{INK}}"}},
        merge=[{"find": "NAME", "replace": "Ann"}, {"find": "INK", "replace": "#ffff00"}],
        output={"path": str(tmp_path / "{{NAME}}.mp4")},
    )
    literal = edit({"text": {"text": "Hello Ann", "fontSize": 40, "color": "#ffff00"}})
    assert np.array_equal(await frame(templated, merged, 1.0), await frame(templated, literal, 1.0))
    explained = await templated.stub.ExplainRender(compiler_pb2.ExplainRenderRequest(project=project(merged)))
    assert explained.ffmpeg_args[-1] == str(tmp_path / "Ann.mp4")
    # Merge fields reach template fields too.
    via_template = edit(
        {"template": {"id": "badge", "fields": {"label": "{{NAME}}"}}},
        merge=[{"find": "NAME", "replace": "HOT DEAL"}],
    )
    direct = edit({"template": {"id": "badge", "fields": {"label": "HOT DEAL"}}})
    assert np.array_equal(await frame(templated, via_template, 1.0), await frame(templated, direct, 1.0))


@pytest.mark.parametrize(
    ("source", "extra", "field"),
    [
        (
            {"text": {"text": "Hi {{WHO}}"}},
            {"merge": [{"find": "NAME", "replace": "x"}]},
            "tracks[1].clips[0].source.text.text",
        ),
        ({"text": {"text": "Hi"}}, {"merge": [{"find": "", "replace": "x"}]}, "merge[0].find"),
        ({"template": {"id": "nope"}}, {}, "tracks[1].clips[0].source.template.id"),
        (
            {"template": {"id": "badge", "fields": {"colour": "red"}}},
            {},
            "tracks[1].clips[0].source.template.fields.colour",
        ),
    ],
)
async def test_bad_merge_and_template_input_names_its_field(
    templated: Running, source: dict[str, Any], extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await templated.stub.RenderFrame(
            compiler_pb2.RenderFrameRequest(project=project(edit(source, **extra)), time=1)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)
