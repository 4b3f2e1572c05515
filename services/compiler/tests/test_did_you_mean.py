"""Unknown effect and transition names are answered with the nearest known name."""

from __future__ import annotations

import copy

from svckit.json_input import parse_dict
from tstudio.compiler.v1 import project_pb2
from tstudio_cli.demo_media import DEMO_PROJECT
from tstudio_compiler.api.convert import project_from_proto
from tstudio_compiler.domain.effects import EffectCatalog, builtin_effects
from tstudio_compiler.domain.transitions import TransitionCatalog, builtin_transitions
from tstudio_compiler.domain.validation import Catalogs, Limits, validate

CATALOGS = Catalogs(EffectCatalog(builtin_effects()), TransitionCatalog(builtin_transitions()))


def test_misspelt_effect_and_transition_get_a_did_you_mean_once() -> None:
    data = copy.deepcopy(DEMO_PROJECT)
    clips = data["tracks"][0]["clips"]
    clips[0]["effects"][0]["type"] = "brightnes"
    clips[1]["transition"]["type"] = "crosfade"
    clips[2]["effects"][0]["params"] = {"intensty": 0.5}
    data["tracks"][0]["kind"] = "VIDEO"  # the short enum form parses
    model = project_from_proto(parse_dict(data, project_pb2.Project(base_dir="/d")))
    problems = validate(model, CATALOGS, Limits())
    by_field = {f: d for f, d in problems}
    assert (
        by_field["tracks[0].clips[0].effects[0].type"]
        == "unknown effect 'brightnes'; did you mean 'brightness'?"
    )
    assert "did you mean 'crossfade'?" in by_field["tracks[0].clips[1].transition.type"]
    assert by_field["tracks[0].clips[2].effects[0].params.intensty"].startswith(
        "unknown parameter; did you mean 'intensity'?"
    )
    assert len(problems) == len(set(problems)), "each violation said once"
