"""The frontend's effects (`EffectType`, PascalCase) and filters (`FilterType` with a number map) as
our catalog effects. Its parameters are CSS-like (brightness 1 = unchanged); ours are FFmpeg-like
(brightness 0 = unchanged), so each mapping converts units and says so where it only approximates."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tstudio_compiler.domain.timeline_studio.reader import Problems

# One of our effects: (catalog type, params).
OurEffect = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Mapped:
    video: list[OurEffect]
    audio: list[OurEffect]


def plain(value: Any) -> Any:
    """A parameter as a plain value: the frontend sends raw numbers or `{type: "Float", value}`."""
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


def _clamp(value: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, value))


def _key(name: str) -> str:
    """`HueRotate`, `hue-rotate` and `hue_rotate` name the same effect."""
    return name.replace("-", "").replace("_", "").lower()


class _Params:
    def __init__(self, raw: Mapping[str, Any], path: str, problems: Problems) -> None:
        self.raw = {k: plain(v) for k, v in raw.items()}
        self.path = path
        self.problems = problems

    def num(self, *names: str, default: float) -> float:
        for name in names:
            value = self.raw.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                self.problems.refuse(f"{self.path}.{name}", "must be a finite number")
                return default
            return float(value)
        return default


def _one(kind: str, type_: str, **params: Any) -> tuple[str, OurEffect]:
    return kind, (type_, params)


_V, _A = "video", "audio"
Builder = Callable[[_Params], tuple[str, OurEffect] | None]

# Frontend effect type -> builder, and a note when the conversion only approximates the look.
_EFFECTS: dict[str, tuple[Builder, str]] = {
    "brightness": (
        lambda p: _one(_V, "brightness", value=_clamp(p.num("value", "intensity", default=1) - 1, -1, 1)),
        "",
    ),
    "contrast": (
        lambda p: _one(_V, "contrast", value=_clamp(p.num("value", "intensity", default=1), 0, 4)),
        "",
    ),
    "saturation": (
        lambda p: _one(_V, "saturation", value=_clamp(p.num("value", "intensity", default=1), 0, 3)),
        "",
    ),
    "huerotate": (
        lambda p: _one(
            _V, "hue-rotate", degrees=(p.num("angle", "degrees", "value", default=0) + 180) % 360 - 180
        ),
        "",
    ),
    "grayscale": (lambda p: _one(_V, "grayscale"), ""),
    "sepia": (lambda p: _one(_V, "sepia", intensity=_clamp(p.num("intensity", default=1), 0, 1)), ""),
    "invert": (lambda p: _one(_V, "invert"), "inverted fully (intensity is not blended)"),
    "blur": (lambda p: _one(_V, "blur", radius=_clamp(p.num("radius", "intensity", default=5), 0, 50)), ""),
    "sharpen": (
        lambda p: _one(_V, "sharpen", amount=_clamp(p.num("intensity", "amount", default=1), 0, 5)),
        "",
    ),
    "vignette": (
        lambda p: _one(_V, "vignette", angle=_clamp(p.num("intensity", default=0.4), 0, 1) * math.pi / 2),
        "strength as the vignette's angle; radius is not used",
    ),
    "filmgrain": (
        lambda p: _one(_V, "film-grain", strength=_clamp(p.num("amount", default=0.5) * 40, 0, 100)),
        "amount as noise strength (0..1 -> 0..40)",
    ),
    "noisereduction": (
        lambda p: _one(_V, "noise-reduction", strength=_clamp(p.num("intensity", default=3) / 10, 0, 1)),
        "",
    ),
    "glow": (lambda p: _one(_V, "glow", strength=_clamp(p.num("intensity", default=0.5), 0, 1)), ""),
    "chromaticaberration": (
        lambda p: _one(
            _V, "chromatic-aberration", shift=round(_clamp(p.num("intensity", default=0.5), 0, 5) * 10)
        ),
        "",
    ),
    "temperature": (
        lambda p: _one(
            _V,
            "temperature",
            kelvin=_clamp(6500 - 40 * p.num("temperature", "value", default=0), 1000, 40000),
        ),
        "warmth -100..100 as colour temperature 10500..2500 K",
    ),
    "tint": (lambda p: _one(_V, "tint", value=_clamp(p.num("tint", "value", default=0) / 100, -1, 1)), ""),
    "exposure": (
        lambda p: _one(_V, "exposure", stops=_clamp(p.num("exposure", "value", default=0), -3, 3)),
        "",
    ),
    "pixelate": (
        lambda p: _one(_V, "pixelate", size=int(_clamp(p.num("pixelSize", "size", default=16), 2, 256))),
        "",
    ),
    "edgeenhance": (lambda p: _one(_V, "edge-enhance"), ""),
    "emboss": (lambda p: _one(_V, "emboss"), ""),
    "solarize": (
        lambda p: _one(_V, "solarize", threshold=_clamp(p.num("threshold", default=0.5), 0, 1) * 255),
        "",
    ),
    "vintage": (lambda p: _one(_V, "vintage"), ""),
    "noir": (lambda p: _one(_V, "noir"), ""),
    "sunset": (lambda p: _one(_V, "warm-sunset", intensity=1.0), "rendered as our warm-sunset grade"),
    "arctic": (lambda p: _one(_V, "cold-blue", intensity=1.0), "rendered as our cold-blue grade"),
    "audiofadein": (
        lambda p: _one(_A, "fade-in", duration=_clamp(p.num("duration", default=1), 0.01, 60)),
        "",
    ),
    "audiofadeout": (
        lambda p: _one(_A, "fade-out", duration=_clamp(p.num("duration", default=1), 0.01, 60)),
        "",
    ),
    "audioequalizer": (
        lambda p: _one(
            _A,
            "equalizer",
            frequency=_clamp(p.num("frequency", default=1000), 20, 20000),
            gain=_clamp(p.num("gain", default=0), -30, 30),
            width=_clamp(p.num("width", "q", default=1), 0.1, 10),
        ),
        "",
    ),
    "audiocompressor": (
        lambda p: _one(
            _A,
            "compressor",
            threshold=_clamp(p.num("threshold", default=0.125), 0.001, 1),
            ratio=_clamp(p.num("ratio", default=2), 1, 20),
        ),
        "",
    ),
    "audionormalize": (lambda p: _one(_A, "normalize"), ""),
    "audiodenoise": (
        lambda p: _one(_A, "denoise", reduction=_clamp(p.num("reduction", "amount", default=12), 0.01, 97)),
        "",
    ),
    "audiopitch": (
        lambda p: _one(
            _A, "pitch", semitones=_clamp(p.num("semitones", "pitch", "value", default=0), -12, 12)
        ),
        "",
    ),
    "audiotempo": (lambda p: _one(_A, "tempo", value=_clamp(p.num("tempo", "value", default=1), 0.5, 2)), ""),
    "audioducking": (lambda p: _one(_A, "ducking", amount=_clamp(p.num("amount", default=0.5), 0, 1)), ""),
    "audiopan": (lambda p: _one(_A, "pan", value=_clamp(p.num("pan", "value", default=0), -1, 1)), ""),
}

# Frontend effect types we know and cannot render yet: refused by name, never dropped.
NOT_RENDERED = (
    "Neon Lomo Twilight LensFlare Duotone Cyberpunk Dreamy Infrared Matrix Stabilization MotionBlur Glitch "
    "ZoomBlur Hologram Speed Reverse AudioCrossfade AudioReverb AudioDelay AudioChorus AudioDistortion "
    "AudioGate AudioLimiter AudioExpander AudioStereoWidth AudioHighpass AudioLowpass AudioBandpass"
).split()
_ADVICE = {"speed": "use the clip's speed", "reverse": "not rendered yet (reverse playback)"}


def map_effect(effect_type: str, parameters: Mapping[str, Any], path: str, problems: Problems) -> Mapped:
    """One frontend effect (`effects[i]`) as our effects; unknown or unrenderable types are refused."""
    entry = _EFFECTS.get(_key(effect_type))
    if entry is None:
        known = any(_key(n) == _key(effect_type) for n in NOT_RENDERED)
        why = _ADVICE.get(_key(effect_type), "not rendered yet" if known else "unknown effect type")
        problems.refuse(f"{path}.effect_type", f"{effect_type!r}: {why}")
        return Mapped([], [])
    build, note = entry
    result = build(_Params(parameters, f"{path}.parameters", problems))
    if note:
        problems.note(f"{path}.effect_type", f"{effect_type}: {note}")
    if result is None:
        return Mapped([], [])
    kind, ours = result
    return Mapped([ours], []) if kind == _V else Mapped([], [ours])


# Filter parameters: neutral value, and how a value becomes our effect (None = refused).
_NEUTRAL = {"brightness": 0.0, "contrast": 1.0, "saturation": 1.0, "gamma": 1.0}


def map_filter(
    parameters: Mapping[str, Any], intensity: float, path: str, problems: Problems
) -> list[OurEffect]:
    """A frontend filter (its number map, scaled by `intensity` around each neutral value)."""
    p = _Params(parameters, f"{path}.parameters", problems)
    values: dict[str, float] = {}
    for name in p.raw:
        neutral = _NEUTRAL.get(name, 0.0)
        values[name] = neutral + (p.num(name, default=neutral) - neutral) * intensity
    out: list[OurEffect] = []
    grade = {k: values[k] for k in _NEUTRAL if k in values}
    if "vibrance" in values:
        grade["saturation"] = grade.get("saturation", 1.0) * (1 + values.pop("vibrance") * 0.5)
        problems.note(f"{path}.parameters.vibrance", "rendered as a saturation change")
    if grade:
        out.append(
            (
                "color-correction",
                {
                    "brightness": _clamp(grade.get("brightness", 0.0), -1, 1),
                    "contrast": _clamp(grade.get("contrast", 1.0), 0, 4),
                    "saturation": _clamp(grade.get("saturation", 1.0), 0, 3),
                    "gamma": _clamp(grade.get("gamma", 1.0), 0.1, 10),
                },
            )
        )
    tones = {k: values.get(k, 0.0) for k in ("shadows", "highlights", "blacks", "whites")}
    if any(tones.values()):
        out.append(("tone-curve", {k: _clamp(v, -1, 1) for k, v in tones.items()}))
    if values.get("temperature"):
        out.append(("temperature", {"kelvin": _clamp(6500 - 40 * values["temperature"], 1000, 40000)}))
    if values.get("tint"):
        out.append(("tint", {"value": _clamp(values["tint"] / 100, -1, 1)}))
    if values.get("hue"):
        out.append(("hue-rotate", {"degrees": (values["hue"] + 180) % 360 - 180}))
    clarity = values.get("clarity", 0.0)
    if clarity > 0:
        out.append(("sharpen", {"amount": _clamp(clarity * 1.5, 0, 5)}))
    elif clarity < 0:
        out.append(("blur", {"radius": _clamp(-clarity * 2, 0, 50)}))
    if clarity:
        problems.note(f"{path}.parameters.clarity", "rendered as sharpen (+) or blur (-)")
    if values.get("blur"):
        out.append(("blur", {"radius": _clamp(values["blur"], 0, 50)}))
    if values.get("sharpen"):
        out.append(("sharpen", {"amount": _clamp(values["sharpen"], 0, 5)}))
    if values.get("vignette"):
        out.append(("vignette", {"angle": _clamp(values["vignette"], 0, 1) * math.pi / 2}))
    if values.get("grain"):
        out.append(("film-grain", {"strength": _clamp(values["grain"] * 50, 0, 100)}))
    handled = {
        *_NEUTRAL,
        "vibrance",
        *tones,
        "temperature",
        "tint",
        "hue",
        "clarity",
        "blur",
        "sharpen",
        "vignette",
        "grain",
    }
    for name, value in values.items():
        if name not in handled and value:
            why = "not rendered yet" if name == "dehaze" else "unknown filter parameter"
            problems.refuse(f"{path}.parameters.{name}", why)
    return out
