"""Domain units: names, the command table, rate limits, tokens, subjects; and the JSON codec."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from svckit.errors import InvalidArgument, ResourceExhausted, Unauthenticated
from tstudio.compiler.v1 import compiler_pb2
from tstudio_gateway.adapters.json_codec import parse_request, to_json
from tstudio_gateway.domain.aliases import TIMELINE_STUDIO_ALIASES
from tstudio_gateway.domain.auth import StaticTokenVerifier, bearer_token, caller_id
from tstudio_gateway.domain.commands import CommandNotAvailable, CommandTable, UnknownCommand
from tstudio_gateway.domain.naming import near_names, snake_case
from tstudio_gateway.domain.rate_limit import RateLimiter
from tstudio_gateway.domain.subjects import check_subject_pattern
from tstudio_gateway.server import command_table


@pytest.mark.parametrize(
    ("rpc", "name"),
    [
        ("Render", "render"),
        ("GetRenderCacheInfo", "get_render_cache_info"),
        ("StartOAuth", "start_oauth"),
        ("ValidateApiKey", "validate_api_key"),
        ("GetHTTPStatus", "get_http_status"),
    ],
)
def test_rpc_names_become_snake_case(rpc: str, name: str) -> None:
    assert snake_case(rpc) == name


def test_near_names_match_bare_and_qualified_forms() -> None:
    known = ["probe", "media.probe", "render", "compiler.render", "get_render"]
    assert near_names("prob", known)[:2] == ["probe", "media.probe"]
    assert "compiler.render" in near_names("compiler.rendr", known)


@dataclass(frozen=True)
class Cmd:
    name: str
    qualified: str


def test_table_resolves_qualified_bare_and_alias_names() -> None:
    table = CommandTable(
        [Cmd("render", "compiler.render"), Cmd("ping", "a.ping"), Cmd("ping", "b.ping")],
        {"compile_video": "compiler.render", "later": "compiler.later"},
    )
    assert table.resolve("compiler.render").qualified == "compiler.render"
    assert table.resolve("render").qualified == "compiler.render"
    assert table.resolve("compile_video").qualified == "compiler.render"
    assert table.resolve("a.ping").qualified == "a.ping"
    with pytest.raises(UnknownCommand) as ambiguous:
        table.resolve("ping")
    assert ambiguous.value.near == ["a.ping", "b.ping"]
    with pytest.raises(CommandNotAvailable):
        table.resolve("later")
    with pytest.raises(UnknownCommand) as unknown:
        table.resolve("compile_vide")
    assert "compile_video" in unknown.value.near


def test_every_timeline_studio_name_resolves_or_says_not_available() -> None:
    table = command_table()
    for alias, target in TIMELINE_STUDIO_ALIASES.items():
        try:
            command = table.resolve(alias)
        except CommandNotAvailable as exc:
            assert target in exc.message
            continue
        assert command.qualified == target


def test_the_contracts_give_a_command_per_rpc() -> None:
    names = {c.qualified for c in command_table().commands}
    assert {
        "compiler.render",
        "media.probe",
        "security.validate_api_key",
        "recognition.detect_shots",
    } <= names
    render = command_table().resolve("compiler.render")
    assert render.server_streaming and render.path == "/tstudio.compiler.v1.CompilerService/Render"


def test_rate_limiter_allows_the_burst_then_asks_to_wait() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("a")
    with pytest.raises(ResourceExhausted) as exhausted:
        limiter.check("a")
    assert exhausted.value.details.retry_after_seconds == pytest.approx(0.5)
    limiter.check("b")  # another caller is not affected
    now[0] = 0.5
    limiter.check("a")  # one token refilled
    with pytest.raises(ResourceExhausted):
        limiter.check("a")


def test_rate_limiter_off_and_bounded_memory() -> None:
    RateLimiter(rate=0, burst=1).check("x")
    now = [0.0]
    limiter = RateLimiter(rate=1.0, burst=1, clock=lambda: now[0], max_callers=2)
    limiter.check("a")
    limiter.check("b")
    now[0] = 10.0
    limiter.check("c")  # a and b had refilled and were forgotten
    assert len(limiter._buckets) == 1


async def test_static_tokens_and_bearer_parsing() -> None:
    verifier = StaticTokenVerifier(["t1", "t2", ""])
    assert (await verifier.verify("t2")).id == caller_id("t2")
    assert "t2" not in caller_id("t2")
    for bad in ("", "t3", "t1 "):
        with pytest.raises(Unauthenticated):
            await verifier.verify(bad)
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    for header in (None, "", "Basic abc", "Bearer"):
        with pytest.raises(Unauthenticated):
            bearer_token(header)


@pytest.mark.parametrize(
    "pattern", ["tstudio.>", "tstudio.compiler.render.*.progress", "tstudio.media.probe.ab-1.completed"]
)
def test_subject_patterns_below_tstudio_are_allowed(pattern: str) -> None:
    assert check_subject_pattern(pattern) == pattern


@pytest.mark.parametrize(
    "pattern", ["", ">", "tstudio", "nats.>", "tstudio.>.x", "tstudio..a", "tstudio.a b", "tstudio.a\nb"]
)
def test_other_subject_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidArgument):
        check_subject_pattern(pattern)


def test_json_codec_round_trip_and_paths() -> None:
    request = parse_request({"project": {"name": "x", "settings": {"fps": 30}}}, compiler_pb2.RenderRequest)
    assert request.project.settings.fps == 30
    assert to_json(request)["project"]["name"] == "x"
    assert parse_request(None, compiler_pb2.RenderRequest) == compiler_pb2.RenderRequest()
    with pytest.raises(InvalidArgument) as error:
        parse_request({"project": {"tracks": [{}, {"clips": [{"speed": "x"}]}]}}, compiler_pb2.RenderRequest)
    assert error.value.details.field_violations[0].field == "project.tracks[1].clips[0].speed"
