"""Easing curves and keyframe interpolation (pure domain)."""

from __future__ import annotations

import math
import re

import pytest
from tstudio_compiler.domain import easing, keyframes
from tstudio_compiler.domain.keyframes import Animation, Keyframe


def ffmpeg_eval(expr: str, **names: float) -> float:
    """Evaluates the FFmpeg expression subset we emit, to check the text against the Python curve."""
    source = re.sub(r"\b(if|lt|lte|gte)\(", lambda m: "_" + m.group(1) + "(", expr)
    env = {
        "_if": lambda c, a, b: a if c else b,
        "_lt": lambda a, b: a < b,
        "_lte": lambda a, b: a <= b,
        "_gte": lambda a, b: a >= b,
        "pow": math.pow,
        "sin": math.sin,
        "cos": math.cos,
        "sqrt": lambda v: math.sqrt(v) if v >= 0 else math.nan,  # FFmpeg: NaN, and `if` is lazy
        "floor": math.floor,
        "PI": math.pi,
        **names,
    }
    return float(eval(source, {"__builtins__": {}}, env))


@pytest.mark.parametrize("name", sorted(easing.PENNER))
def test_every_penner_curve_starts_at_0_ends_at_1_and_its_expression_agrees(name: str) -> None:
    curve = easing.parse(name)
    assert curve(0) == pytest.approx(0, abs=1e-3)
    assert curve(1) == pytest.approx(1, abs=1e-3)
    for p in (0.1, 0.3, 0.5, 0.7, 0.9):
        assert ffmpeg_eval(curve.ffmpeg("x"), x=p) == pytest.approx(curve(p), abs=1e-9)


def test_known_values_of_some_curves() -> None:
    assert easing.parse("easeInQuad")(0.5) == pytest.approx(0.25)
    assert easing.parse("easeOutCubic")(0.5) == pytest.approx(0.875)
    assert easing.parse("easeInOutSine")(0.5) == pytest.approx(0.5)
    assert easing.parse("easeOutBack")(0.5) > 1.0  # overshoots
    assert easing.parse("steps(4)")(0.3) == pytest.approx(0.25)
    assert easing.parse("hold")(0.99) == 0
    # CSS `ease` is cubic-bezier(0.25,0.1,0.25,1): about 0.8024 at half time.
    assert easing.parse("cubic-bezier(0.25, 0.1, 0.25, 1)")(0.5) == pytest.approx(0.8024, abs=1e-3)
    assert easing.parse("cubic-bezier(0.25,0.1,0.25,1)").expression == ""


@pytest.mark.parametrize(
    "text", ["bounce", "easeInWobble", "steps(0)", "steps(x)", "cubic-bezier(2,0,0.5,1)", "cubic-bezier(1,2)"]
)
def test_unknown_or_malformed_easings_are_refused(text: str) -> None:
    with pytest.raises(easing.EasingError):
        easing.parse(text)


ANIM = Animation(
    "transform.x",
    (Keyframe(0.5, 0.2), Keyframe(1.5, 0.8, "easeInOutCubic"), Keyframe(2.0, 0.4, "hold")),
)


def test_values_hold_outside_the_keyframes_and_follow_the_easing_between() -> None:
    assert keyframes.value_at(ANIM, 0.0) == 0.2
    assert keyframes.value_at(ANIM, 1.0) == pytest.approx(0.5)
    assert keyframes.value_at(ANIM, 0.75) == pytest.approx(0.2 + 0.6 * 4 * 0.25**3)
    assert keyframes.value_at(ANIM, 1.9) == pytest.approx(0.8)  # hold until the keyframe
    assert keyframes.value_at(ANIM, 2.0) == 0.4
    assert keyframes.value_at(ANIM, 9.0) == 0.4


@pytest.mark.parametrize("easing_name", ["easeOutBounce", "cubic-bezier(0.3,1.4,0.6,1)", "steps(3)"])
def test_the_ffmpeg_expression_gives_the_python_value_at_every_frame(easing_name: str) -> None:
    anim = Animation("opacity", (Keyframe(0.2, 0.0), Keyframe(1.2, 1.0, easing_name)))
    expr = keyframes.expression(anim, "(t+0.000001)", 30)
    for k in range(0, 45):
        assert ffmpeg_eval(expr, t=k / 30) == pytest.approx(keyframes.value_at(anim, k / 30), abs=1e-4)


def test_check_names_each_bad_keyframe_by_its_path() -> None:
    bad = (
        Animation("transform.wobble", (Keyframe(0, 1),)),
        Animation("opacity", (Keyframe(1, 0.5), Keyframe(1, 0.6), Keyframe(0.5, 2.0, "zoom"))),
        Animation("crop.top", (Keyframe(0, 0.1),)),
        Animation("crop.left", (Keyframe(0, 0.1),)),
        Animation("transform.scale", ()),
        Animation("volume", (Keyframe(float("nan"), 1),)),
    )
    found = dict(keyframes.check(bad, "tracks[0].clips[1].animations"))
    p = "tracks[0].clips[1].animations"
    assert "unknown property" in found[f"{p}[0].property"]
    assert "duplicates" in found[f"{p}[1].keyframes[1].time"]
    assert "before" in found[f"{p}[1].keyframes[2].time"]
    assert "0..1" in found[f"{p}[1].keyframes[2].value"]
    assert "unknown easing" in found[f"{p}[1].keyframes[2].easing"]
    assert "animated crop" in found[f"{p}[2].property"]
    assert "animated crop" in found[f"{p}[3].property"]
    assert "at least one keyframe" in found[f"{p}[4].keyframes"]
    assert f"{p}[5].keyframes[0].time" in found


def test_a_segment_with_keyframes_and_animated_text_survives_its_description() -> None:
    """Distributed rendering rebuilds segments from JSON: instance names and text animations stay."""
    import json

    from tstudio_compiler.domain.effects import EffectCatalog, builtin_effects
    from tstudio_compiler.domain.encoding import EncodeSettings
    from tstudio_compiler.domain.model import (
        Clip,
        Project,
        ProjectSettings,
        Source,
        TextSource,
        Track,
        TrackKind,
    )
    from tstudio_compiler.domain.planner import Planner
    from tstudio_compiler.domain.segment_description import describe, from_description
    from tstudio_compiler.domain.text_motion import TextAnimation
    from tstudio_compiler.domain.transitions import TransitionCatalog, builtin_transitions

    text = TextSource("Hi", animate_in=TextAnimation("wave", 0.5, "char"))
    clip = Clip(
        "t",
        Source(text=text),
        duration=1,
        animations=(Animation("opacity", (Keyframe(0, 0), Keyframe(1, 1, "easeInSine"))),),
    )
    model = Project(settings=ProjectSettings(160, 90, 30), tracks=(Track("t", TrackKind.TEXT, (clip,)),))
    plan = Planner(EffectCatalog(builtin_effects()), TransitionCatalog(builtin_transitions())).plan(model, {})
    segment = plan.segments[0]
    encode = EncodeSettings(video_encoder="libx264", pix_fmt="yuv420p", options={}, bit_rate=0)
    description = json.loads(json.dumps(describe(plan, segment, encode, {})))
    rebuilt, _ = from_description(description, "out.mp4")
    assert rebuilt.segments[0].graph == segment.graph
    assert "sendcmd" in segment.graph.graph.render()


def test_effect_parameter_animations_are_checked_against_the_effect() -> None:
    from tstudio_compiler.domain import effect_motion
    from tstudio_compiler.domain.effects import EffectCatalog, builtin_effects
    from tstudio_compiler.domain.model import EffectSpec

    catalog = EffectCatalog(builtin_effects())
    effects = (EffectSpec("brightness", {"value": 0}), EffectSpec("vignette", {}))
    anims = (
        Animation("effects[0].params.value", (Keyframe(0, 0), Keyframe(1, 2.0))),
        Animation("effects[1].params.angle", (Keyframe(0, 0.1), Keyframe(1, 0.5))),
        Animation("effects[0].params.nope", (Keyframe(0, 0),)),
        Animation("effects[5].params.value", (Keyframe(0, 0),)),
    )
    found = dict(effect_motion.check(anims, effects, catalog, "a"))
    assert "-1..1" in found["a[0].keyframes[1].value"]
    assert "vignette" in found["a[1].property"] and "run time" in found["a[1].property"]
    assert "no numeric parameter" in found["a[2].property"]
    assert "no effects[5]" in found["a[3].property"]
    ok = (Animation("effects[0].params.value", (Keyframe(0, 0), Keyframe(1, 0.5))),)
    assert effect_motion.check(ok, effects, catalog, "a") == []


def test_many_keyframes_stay_within_ffmpegs_expression_nesting() -> None:
    frames = tuple(Keyframe(i * 0.1, (i % 7) / 7, "easeOutBounce" if i % 2 else "") for i in range(300))
    anim = Animation("opacity", frames)
    expr = keyframes.expression(anim, "t", 30)
    depth = deepest = 0
    for ch in expr:
        depth += ch == "("
        depth -= ch == ")"
        deepest = max(deepest, depth)
    assert deepest < 60
    for k in (0, 7, 95, 451, 899, 1000):
        assert ffmpeg_eval(expr, t=k / 30 + 1e-6) == pytest.approx(
            keyframes.value_at(anim, k / 30 + 1e-6), abs=1e-6
        )


def test_a_speed_ramp_integrates_the_speed_and_inverts_it() -> None:
    from tstudio_compiler.domain import speed_ramp

    steady = Animation("speed", (Keyframe(0, 2.0),))
    assert speed_ramp.offset(steady, 1.5) == pytest.approx(3.0)
    ramp = Animation("speed", (Keyframe(0, 1.0), Keyframe(2, 3.0)))
    assert speed_ramp.offset(ramp, 2.0) == pytest.approx(4.0, abs=1e-6)  # mean speed 2 over 2 s
    assert speed_ramp.offset(ramp, 3.0) == pytest.approx(7.0, abs=1e-6)  # then 3x
    for span in (0.3, 2.2, 4.0, 9.0):
        assert speed_ramp.offset(ramp, speed_ramp.length(ramp, span)) == pytest.approx(span, abs=1e-4)
