"""The HTTP/JSON door: commands by every name, errors with their details, auth, limits, CORS."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest

from .conftest import OTHER_TOKEN, Gateway, start_gateway


async def test_probe_answers_by_qualified_bare_and_timeline_studio_names(gateway: Gateway) -> None:
    video = str(gateway.media.video)
    for name in ("media.probe", "probe", "probe_media_file"):
        reply = await gateway.invoke(name, {"path": video})
        assert reply.status == 200, await reply.text()
        body = await reply.json()
        info = body["info"]
        assert info["path"].endswith("clip.mp4")
        video_streams = [s for s in info["streams"] if s["type"] == "STREAM_TYPE_VIDEO"]
        assert video_streams[0]["width"] == 160 and video_streams[0]["height"] == 120


async def test_lower_camel_argument_names_are_accepted(gateway: Gateway) -> None:
    reply = await gateway.invoke("compiler.validate_project", {"project": {"settings": {"fps": 30}}})
    assert reply.status == 200
    assert (await reply.json())["valid"] is True


async def test_unknown_command_is_404_with_near_names(gateway: Gateway) -> None:
    reply = await gateway.invoke("prob_media_file", {})
    assert reply.status == 404
    error = (await reply.json())["error"]
    assert error["code"] == "NOT_FOUND" and error["reason"] == "UNKNOWN_COMMAND"
    assert "probe_media_file" in error["near_names"]


async def test_a_name_several_services_share_lists_the_qualified_ones(gateway: Gateway) -> None:
    reply = await gateway.invoke("get_diagnostics", {})
    assert reply.status == 404
    near = (await reply.json())["error"]["near_names"]
    assert "media.get_diagnostics" in near and "compiler.get_diagnostics" in near


async def test_malformed_json_is_400_with_the_position(gateway: Gateway) -> None:
    reply = await gateway.session.post(
        f"{gateway.url}/api/v1/invoke/probe", data=b'{"path": ', headers=gateway.headers()
    )
    assert reply.status == 400
    error = (await reply.json())["error"]
    assert error["reason"] == "INVALID_JSON"
    assert "line 1" in error["field_violations"][0]["description"]


@pytest.mark.parametrize(
    ("command", "args", "field"),
    [
        ("probe", {"path": 5}, "path"),
        ("probe", {"pth": "x"}, "pth"),
        (
            "render",
            {"project": {"tracks": [{"clips": [{"speed": "fast"}]}]}},
            "project.tracks[0].clips[0].speed",
        ),
        ("render", {"project": {"tracks": [{"kind": "TRACK_KIND_NOPE"}]}}, "project.tracks[0].kind"),
        ("probe", [1, 2], ""),
    ],
)
async def test_wrong_field_types_are_400_with_the_field_path(
    gateway: Gateway, command: str, args: object, field: str
) -> None:
    reply = await gateway.invoke(command, args)
    assert reply.status == 400
    error = (await reply.json())["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["field_violations"][0]["field"] == field


async def test_a_service_field_violation_passes_through(gateway: Gateway) -> None:
    reply = await gateway.invoke("validate_project", {"project": {"settings": {"fps": -1}}})
    assert reply.status == 400
    error = (await reply.json())["error"]
    assert error["field_violations"] == [{"field": "project.settings.fps", "description": "must be > 0"}]
    assert error["metadata"]["trace_id"]


async def test_not_found_carries_the_resource(gateway: Gateway) -> None:
    reply = await gateway.invoke("get_render", {"job_id": "nope"})
    assert reply.status == 404
    error = (await reply.json())["error"]
    assert error["resources"] == [{"type": "render_job", "name": "nope", "description": ""}]


async def test_media_errors_keep_their_code(gateway: Gateway) -> None:
    reply = await gateway.invoke("probe", {"path": str(gateway.media.root / "missing.mp4")})
    assert reply.status == 404
    assert (await reply.json())["error"]["code"] == "NOT_FOUND"


async def test_unimplemented_rpc_says_not_available(gateway: Gateway) -> None:
    reply = await gateway.invoke("compiler.list_transitions", {})
    assert reply.status == 501
    error = (await reply.json())["error"]
    assert error["reason"] == "COMMAND_NOT_AVAILABLE"
    assert "not available" in error["message"]


async def test_an_alias_the_running_service_does_not_implement_says_not_available(gateway: Gateway) -> None:
    # The test compiler implements only some RPCs; ClearCache is not one of them.
    reply = await gateway.invoke("clear_render_cache", {})
    assert reply.status == 501
    assert "not available" in (await reply.json())["error"]["message"]


async def test_a_service_that_is_down_is_503_without_its_address(gateway: Gateway) -> None:
    reply = await gateway.invoke("get_available_yolo_models", {})
    assert reply.status == 503
    error = (await reply.json())["error"]
    assert error["reason"] == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1" not in await reply.text()


async def test_missing_or_wrong_token_is_401(gateway: Gateway) -> None:
    url = f"{gateway.url}/api/v1/invoke/probe"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        reply = await gateway.session.post(url, json={"path": "x"}, headers=headers)
        assert reply.status == 401
        assert (await reply.json())["error"]["code"] == "UNAUTHENTICATED"
    reply = await gateway.session.get(f"{gateway.url}/api/v1/commands")
    assert reply.status == 401


async def test_health_endpoints_need_no_token(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/healthz")
    assert reply.status == 200
    reply = await gateway.session.get(f"{gateway.url}/api/v1/health")
    body = await reply.json()
    assert body["services"] == {
        "compiler": "SERVING",
        "media": "SERVING",
        "recognition": "UNREACHABLE",
        "security": "NOT_CONFIGURED",
    }
    assert body["status"] == "degraded"
    reply = await gateway.invoke("check_services_health", {})
    assert (await reply.json())["services"]["media"] == "SERVING"


async def test_rate_limit_is_429_with_retry_after_per_token(media_service, gateway: Gateway) -> None:
    from svckit.bus import InProcessBus

    bus = InProcessBus()
    async for limited in start_gateway(
        media_service, None, bus, rate_limit_per_second=0.5, rate_limit_burst=2
    ):
        statuses = []
        for _ in range(3):
            reply = await limited.invoke("compiler.validate_project", {})
            statuses.append(reply.status)
            if reply.status == 429:
                assert int(reply.headers["Retry-After"]) >= 1
                error = (await reply.json())["error"]
                assert error["code"] == "RESOURCE_EXHAUSTED" and error["retry_after_seconds"] > 0
        assert statuses == [200, 200, 429]
        # Another token has its own budget.
        assert (await limited.invoke("compiler.validate_project", {}, token=OTHER_TOKEN)).status == 200


async def test_request_size_limit_is_413(media_service) -> None:
    from svckit.bus import InProcessBus

    async for small in start_gateway(media_service, None, InProcessBus(), max_request_bytes=1024):
        reply = await small.invoke("probe", {"path": "x" * 4096})
        assert reply.status == 413
        assert (await reply.json())["error"]["reason"] == "REQUEST_TOO_LARGE"


async def test_deadline_reaches_the_service_and_expires_as_504(gateway: Gateway) -> None:
    gateway.compiler.servicer.list_effects_delay = 2.0
    reply = await gateway.invoke("list_effects", {}, headers={"X-Request-Timeout": "0.3"})
    assert reply.status == 504
    assert (await reply.json())["error"]["code"] == "DEADLINE_EXCEEDED"
    remaining = gateway.compiler.servicer.seen_deadlines[-1]
    # The service sees the caller's 0.3 s, not a default; gRPC rounds the deadline, so allow slack.
    assert remaining is not None and remaining <= 0.35


async def test_bad_timeout_header_is_400(gateway: Gateway) -> None:
    for value in ("soon", "-1", "0", "inf"):
        reply = await gateway.invoke("list_effects", {}, headers={"X-Request-Timeout": value})
        assert reply.status == 400, value


async def test_cors_allows_only_listed_origins(gateway: Gateway) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    url = f"{gateway.url}/api/v1/invoke/probe"
    allowed = await gateway.session.options(url, headers={**preflight, "Origin": "http://localhost:1420"})
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:1420"
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    denied = await gateway.session.options(url, headers={**preflight, "Origin": "https://evil.example"})
    assert denied.status == 403
    assert "Access-Control-Allow-Origin" not in denied.headers
    reply = await gateway.invoke(
        "probe", {"path": str(gateway.media.video)}, headers={"Origin": "http://localhost:1420"}
    )
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:1420"


async def test_streaming_command_over_http_is_ndjson(gateway: Gateway, tmp_path) -> None:
    output = tmp_path / "out.mp4"
    reply = await gateway.invoke("render", {"project": {"name": "t", "output": {"path": str(output)}}})
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/x-ndjson")
    import json

    lines = [json.loads(line) for line in (await reply.text()).splitlines()]
    assert len(lines) >= 3
    assert lines[-1]["job"]["status"] == "JOB_STATUS_SUCCEEDED"
    assert output.exists() and output.stat().st_size > 0


async def test_streaming_command_error_before_first_message_is_a_plain_error(gateway: Gateway) -> None:
    reply = await gateway.invoke("render", {"project": {"name": "no output"}})
    assert reply.status == 400
    assert (await reply.json())["error"]["field_violations"][0]["field"] == "project.output.path"


async def test_commands_list_every_rpc_with_json_schemas(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/api/v1/commands", headers=gateway.headers())
    catalogue = await reply.json()
    by_name = {c["name"]: c for c in catalogue["commands"]}
    probe = by_name["media.probe"]
    assert probe["short_name"] == "probe" and "probe_media_file" in probe["aliases"]
    assert by_name["compiler.render"]["streaming"] is True
    assert by_name["media.get_diagnostics"]["short_name"] is None
    for command in catalogue["commands"]:
        jsonschema.Draft202012Validator.check_schema(command["arguments"])
        jsonschema.Draft202012Validator.check_schema(command["result"])
    # A real result validates against its published schema.
    result = await (await gateway.invoke("probe", {"path": str(gateway.media.video)})).json()
    jsonschema.validate(result, probe["result"])
    assert catalogue["aliases"]["generate_single_frame_preview"] == {
        "target": "compiler.render_frame",
        "available": True,
        "scope": "compiler",
    }
    # Every Timeline Studio name has its RPC in the contracts now.
    assert all(alias["available"] for alias in catalogue["aliases"].values())


async def test_commands_list_the_scope_each_needs(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/api/v1/commands", headers=gateway.headers())
    catalogue = await reply.json()
    scopes = {c["name"]: c["scope"] for c in catalogue["commands"]}
    assert scopes["media.probe"] == "media" and scopes["compiler.render"] == "compiler"
    assert scopes["compiler.install_plugin"] == "admin" and scopes["security.put_secret"] == "admin"
    assert scopes["gateway.check_services_health"] is None
    assert set(scopes.values()) == {"compiler", "media", "recognition", "security", "admin", None}
    assert catalogue["aliases"]["load_plugin"]["scope"] == "admin"


async def test_openapi_document_is_valid_and_names_every_command(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/api/v1/openapi.json")
    document = await reply.json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/invoke/media.probe" in document["paths"]
    assert "/api/v1/invoke/generate_single_frame_preview" in document["paths"]
    # Every $ref points at a schema that exists.
    import json

    text = json.dumps(document)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= set(document["components"]["schemas"])
    # Each operation names the scope it needs as its bearer requirement.
    install = document["paths"]["/api/v1/invoke/load_plugin"]["post"]
    assert install["security"] == [{"bearer": ["admin"]}] and "403" in install["responses"]
    probe = document["paths"]["/api/v1/invoke/media.probe"]["post"]
    assert probe["security"] == [{"bearer": ["media"]}]
    health = document["paths"]["/api/v1/invoke/check_services_health"]["post"]
    assert health["security"] == [{"bearer": []}] and "403" not in health["responses"]


async def test_unknown_endpoint_and_method_are_json_errors(gateway: Gateway) -> None:
    reply = await gateway.session.get(f"{gateway.url}/api/v1/nothing", headers=gateway.headers())
    assert reply.status == 404 and (await reply.json())["error"]["code"] == "NOT_FOUND"
    reply = await gateway.session.get(f"{gateway.url}/api/v1/invoke/probe", headers=gateway.headers())
    assert reply.status == 405 or reply.status == 501


async def test_concurrent_calls_share_one_channel(gateway: Gateway) -> None:
    replies = await asyncio.gather(
        *(gateway.invoke("probe", {"path": str(gateway.media.video)}) for _ in range(20))
    )
    assert {r.status for r in replies} == {200}


async def test_metrics_count_requests_by_route_and_status(media_service) -> None:
    from prometheus_client import CollectorRegistry
    from svckit.bus import InProcessBus
    from tstudio_gateway.adapters.http_metrics import HttpMetrics

    registry = CollectorRegistry()
    async for measured in start_gateway(media_service, None, InProcessBus(), metrics=HttpMetrics(registry)):
        await measured.invoke("probe", {"path": str(measured.media.video)})
        await measured.invoke("probe", {"path": 1})
        await measured.session.get(f"{measured.url}/api/v1/nothing")
    route = "/api/v1/invoke/{command}"
    labels = {"route": route, "method": "POST"}
    assert registry.get_sample_value("tstudio_gateway_requests_total", {**labels, "status": "200"}) == 1
    assert registry.get_sample_value("tstudio_gateway_requests_total", {**labels, "status": "400"}) == 1
    assert registry.get_sample_value("tstudio_gateway_request_duration_seconds_count", {"route": route}) == 2
    unmatched = {"route": "unmatched", "method": "GET", "status": "401"}
    assert registry.get_sample_value("tstudio_gateway_requests_total", unmatched) == 1


async def test_every_timeline_studio_name_reaches_its_command(gateway: Gateway) -> None:
    from tstudio_gateway.domain.aliases import TIMELINE_STUDIO_ALIASES

    for alias in TIMELINE_STUDIO_ALIASES:
        reply = await gateway.invoke(alias, {})
        body = await reply.json()
        # Whatever the answer (a result, invalid arguments, a service that is down here, a
        # command still to come), the name itself was understood.
        assert reply.status != 404 or body["error"]["reason"] != "UNKNOWN_COMMAND", alias
        assert reply.status != 500, (alias, body)
        if reply.status == 501:
            assert body["error"]["reason"] == "COMMAND_NOT_AVAILABLE", alias
