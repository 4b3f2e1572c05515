"""The effect catalog: each effect's parameter schema and the FFmpeg filters that render it.

Only filters present in the bundled FFmpeg are used (no eq/boxblur/drawtext). Plugin effects
(`plugin:<id>`) come from providers handed in by the composition root; the catalog only lists and
looks them up, so the plugin host stays behind that seam.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tstudio_compiler.domain.colors import ffmpeg_color
from tstudio_compiler.domain.filtergraph import Filter, number, options
from tstudio_compiler.domain.params import Param, ParamType, color
from tstudio_compiler.domain.params import number as num

Builder = Callable[[Mapping[str, Any]], tuple[Filter, ...]]


class EffectKind(enum.Enum):
    VIDEO = 1
    AUDIO = 2


@dataclass(frozen=True)
class EffectDef:
    type: str
    display_name: str
    kind: EffectKind
    category: str
    params: tuple[Param, ...]
    # FFmpeg filters for resolved params; None for effects applied to frames outside FFmpeg (plugins).
    build: Builder | None
    origin: str = "builtin"


class EffectProvider(Protocol):
    """Supplies extra effects (e.g. the WASM plugin host registering `plugin:<id>`)."""

    def effects(self) -> Iterable[EffectDef]: ...


class EffectCatalog:
    def __init__(self, builtins: Iterable[EffectDef], providers: Iterable[EffectProvider] = ()) -> None:
        self._builtins = {e.type: e for e in builtins}
        self._providers = tuple(providers)

    def get(self, type_name: str) -> EffectDef | None:
        found = self._builtins.get(type_name)
        if found is not None:
            return found
        for provider in self._providers:
            for effect in provider.effects():
                if effect.type == type_name:
                    return effect
        return None

    def all(self) -> list[EffectDef]:
        out = list(self._builtins.values())
        for provider in self._providers:
            out.extend(provider.effects())
        return out


def _f(name: str, args: str = "") -> Filter:
    return Filter(name, args)


def _luma(expr: str) -> Filter:
    return _f("lutyuv", f"y={expr}")


def _sepia(p: Mapping[str, Any]) -> tuple[Filter, ...]:
    i = float(p["intensity"])
    matrix = ((0.393, 0.769, 0.189), (0.349, 0.686, 0.168), (0.272, 0.534, 0.131))
    names = "rgb"
    values: dict[str, object] = {}
    for row, out in enumerate(names):
        for col, src in enumerate(names):
            identity = 1.0 if row == col else 0.0
            values[f"{out}{src}"] = round((1 - i) * identity + i * matrix[row][col], 4)
    return (_f("colorchannelmixer", options(**values)),)


def _contrast_expr(c: float) -> str:
    return f"(val-128)*{number(c)}+128"


def _color_correction(p: Mapping[str, Any]) -> tuple[Filter, ...]:
    b, c, s, g = (float(p[k]) for k in ("brightness", "contrast", "saturation", "gamma"))
    luma = f"255*pow(((val-128)*{number(c)}+128+{number(b * 255)})/255\\,{number(1 / g)})"
    return (_luma(luma), _f("hue", options(s=s)))


_EMBOSS = "-2 -1 0 -1 1 1 0 1 2"
_SHARPEN3 = "0 -1 0 -1 5 -1 0 -1 0"


def _kernel(matrix: str) -> Filter:
    return _f("convolution", options(**{"0m": matrix, "1m": "0 0 0 0 1 0 0 0 0", "2m": "0 0 0 0 1 0 0 0 0"}))


def _grade(temperature: float, sat: float, curve: str = "", contrast: float = 1.0) -> Builder:
    def build(p: Mapping[str, Any]) -> tuple[Filter, ...]:
        k = float(p["intensity"])
        out: list[Filter] = []
        if temperature:
            out.append(_f("colortemperature", options(temperature=temperature, mix=k)))
        if curve:
            out.append(_f("curves", options(preset=curve)))
        if contrast != 1.0:
            out.append(_luma(_contrast_expr(1 + (contrast - 1) * k)))
        out.append(_f("hue", options(s=1 + (sat - 1) * k)))
        return tuple(out)

    return build


_TONES = ("blacks", "shadows", "highlights", "whites")


def _tone_curve(p: Mapping[str, Any]) -> tuple[Filter, ...]:
    """Blacks/shadows/highlights/whites as the four points of one master curve (x kept increasing:
    the end points move at most 0.2 inwards, the middle ones only up or down)."""
    b, s, h, w = (float(p[n]) for n in _TONES)
    black = (0.0, 0.2 * b) if b >= 0 else (-0.2 * b, 0.0)
    white = (1.0, 1 + 0.2 * w) if w <= 0 else (1 - 0.2 * w, 1.0)
    points = (black, (0.25, 0.25 + 0.15 * s), (0.75, 0.75 + 0.15 * h), white)
    master = " ".join(f"{number(x)}/{number(min(1.0, max(0.0, y)))}" for x, y in points)
    return (_f("curves", options(master=master)),)


V, A = EffectKind.VIDEO, EffectKind.AUDIO
_INTENSITY = num("intensity", 0, 1, 1.0, "strength of the look")


def builtin_effects() -> list[EffectDef]:
    """Every built-in video and audio effect."""
    e = EffectDef
    return [
        e(
            "brightness",
            "Brightness",
            V,
            "color",
            (num("value", -1, 1, 0.0, "added to luma, -1..1"),),
            lambda p: (_luma(f"val+{number(float(p['value']) * 255)}"),),
        ),
        e(
            "contrast",
            "Contrast",
            V,
            "color",
            (num("value", 0, 4, 1.0, "1 keeps the picture"),),
            lambda p: (_luma(_contrast_expr(float(p["value"]))),),
        ),
        e(
            "saturation",
            "Saturation",
            V,
            "color",
            (num("value", 0, 3, 1.0, "0 is grey"),),
            lambda p: (_f("hue", options(s=float(p["value"]))),),
        ),
        e(
            "hue-rotate",
            "Hue rotate",
            V,
            "color",
            (num("degrees", -180, 180, 0.0),),
            lambda p: (_f("hue", options(h=float(p["degrees"]))),),
        ),
        e("grayscale", "Grayscale", V, "color", (), lambda p: (_f("hue", "s=0"),)),
        e("sepia", "Sepia", V, "color", (_INTENSITY,), _sepia),
        e("invert", "Invert", V, "color", (), lambda p: (_f("negate"),)),
        e(
            "blur",
            "Blur",
            V,
            "blur",
            (num("radius", 0, 50, 5.0, "gaussian sigma in pixels"),),
            lambda p: (_f("gblur", options(sigma=float(p["radius"]))),),
        ),
        e(
            "sharpen",
            "Sharpen",
            V,
            "blur",
            (num("amount", 0, 5, 1.0),),
            lambda p: (
                _f("unsharp", options(luma_msize_x=5, luma_msize_y=5, luma_amount=float(p["amount"]))),
            ),
        ),
        e(
            "vignette",
            "Vignette",
            V,
            "stylize",
            (num("angle", 0, math.pi / 2, math.pi / 5),),
            lambda p: (_f("vignette", options(angle=float(p["angle"]))),),
        ),
        e(
            "film-grain",
            "Film grain",
            V,
            "stylize",
            (num("strength", 0, 100, 20.0),),
            lambda p: (_f("noise", options(alls=int(p["strength"]), allf="t")),),
        ),
        e(
            "noise-reduction",
            "Noise reduction",
            V,
            "blur",
            (num("strength", 0, 1, 0.3),),
            lambda p: (_f("atadenoise", options(s=9, **{"0a": 0.02 + 0.3 * float(p["strength"])})),),
        ),
        e(
            "chroma-key",
            "Chroma key",
            V,
            "keying",
            (color("color", "#00ff00"), num("similarity", 0.01, 1, 0.1), num("blend", 0, 1, 0.0)),
            lambda p: (
                _f("format", "yuva420p"),
                _f(
                    "chromakey",
                    options(
                        color=ffmpeg_color(str(p["color"])),
                        similarity=float(p["similarity"]),
                        blend=float(p["blend"]),
                    ),
                ),
            ),
        ),
        e(
            "color-correction",
            "Color correction",
            V,
            "color",
            (
                num("brightness", -1, 1, 0.0),
                num("contrast", 0, 4, 1.0),
                num("saturation", 0, 3, 1.0),
                num("gamma", 0.1, 10, 1.0),
            ),
            _color_correction,
        ),
        e("vintage", "Vintage", V, "look", (), lambda p: (_f("curves", "preset=vintage"),)),
        e(
            "noir",
            "Noir",
            V,
            "look",
            (),
            lambda p: (_f("hue", "s=0"), _f("curves", "preset=strong_contrast")),
        ),
        e(
            "exposure",
            "Exposure",
            V,
            "color",
            (num("stops", -3, 3, 0.0),),
            lambda p: (_luma(f"val*{number(2 ** float(p['stops']))}"),),
        ),
        e(
            "temperature",
            "Temperature",
            V,
            "color",
            (num("kelvin", 1000, 40000, 6500.0),),
            lambda p: (_f("colortemperature", options(temperature=float(p["kelvin"]))),),
        ),
        e(
            "tint",
            "Tint",
            V,
            "color",
            (num("value", -1, 1, 0.0, "green (-) to magenta (+)"),),
            lambda p: (
                _f("colorbalance", options(gs=-float(p["value"]) * 0.3, gm=-float(p["value"]) * 0.3)),
            ),
        ),
        e(
            "pixelate",
            "Pixelate",
            V,
            "stylize",
            (Param("size", ParamType.INTEGER, 2, 256, 16),),
            lambda p: (_f("pixelize", options(width=int(p["size"]), height=int(p["size"]))),),
        ),
        e("emboss", "Emboss", V, "stylize", (), lambda p: (_kernel(_EMBOSS),)),
        e("edge-enhance", "Edge enhance", V, "stylize", (), lambda p: (_kernel(_SHARPEN3),)),
        e(
            "solarize",
            "Solarize",
            V,
            "stylize",
            (num("threshold", 0, 255, 128.0),),
            lambda p: (
                _f(
                    "lutrgb",
                    "r={0}:g={0}:b={0}".format(
                        f"if(gt(val\\,{number(float(p['threshold']))})\\,255-val\\,val)"
                    ),
                ),
            ),
        ),
        e(
            "glow",
            "Glow",
            V,
            "stylize",
            (num("strength", 0, 1, 0.5),),
            # A single-chain bloom: soften, then lift the highlights.
            lambda p: (
                _f("gblur", options(sigma=1 + 4 * float(p["strength"]))),
                _luma(f"val*{number(1 + 0.25 * float(p['strength']))}"),
            ),
        ),
        e(
            "chromatic-aberration",
            "Chromatic aberration",
            V,
            "stylize",
            (Param("shift", ParamType.INTEGER, 0, 50, 4),),
            lambda p: (_f("rgbashift", options(rh=-int(p["shift"]), bh=int(p["shift"]))),),
        ),
        e("s-log", "S-Log (flat)", V, "grade", (_INTENSITY,), _grade(0, 0.75, contrast=0.7)),
        e("rec709", "Rec.709", V, "grade", (_INTENSITY,), _grade(0, 1.05, curve="increase_contrast")),
        e("cinestyle", "Cinestyle", V, "grade", (_INTENSITY,), _grade(0, 0.9, curve="medium_contrast")),
        e("warm-sunset", "Warm sunset", V, "grade", (_INTENSITY,), _grade(4000, 1.15)),
        e("cold-blue", "Cold blue", V, "grade", (_INTENSITY,), _grade(10000, 0.95)),
        e(
            "dramatic-contrast",
            "Dramatic contrast",
            V,
            "grade",
            (_INTENSITY,),
            _grade(0, 1.2, curve="strong_contrast"),
        ),
        e(
            "tone-curve",
            "Tone curve",
            V,
            "grade",
            tuple(num(n, -1, 1, 0.0, f"lifts (+) or lowers (-) the {n}") for n in _TONES),
            _tone_curve,
        ),
        # Audio.
        e(
            "fade-in",
            "Fade in",
            A,
            "audio",
            (num("duration", 0.01, 60, 1.0),),
            lambda p: (_f("afade", options(t="in", d=float(p["duration"]))),),
        ),
        e(
            "fade-out",
            "Fade out",
            A,
            "audio",
            (num("duration", 0.01, 60, 1.0), num("start", 0, 86400, 0.0)),
            lambda p: (_f("afade", options(t="out", st=float(p["start"]), d=float(p["duration"]))),),
        ),
        e(
            "volume",
            "Volume",
            A,
            "audio",
            (num("value", 0, 10, 1.0),),
            lambda p: (_f("volume", options(volume=float(p["value"]))),),
        ),
        e(
            "equalizer",
            "Equalizer",
            A,
            "audio",
            (num("frequency", 20, 20000, 1000.0), num("gain", -30, 30, 0.0), num("width", 0.1, 10, 1.0)),
            lambda p: (
                _f(
                    "equalizer",
                    options(f=float(p["frequency"]), t="o", w=float(p["width"]), g=float(p["gain"])),
                ),
            ),
        ),
        e(
            "compressor",
            "Compressor",
            A,
            "audio",
            (num("threshold", 0.001, 1, 0.125), num("ratio", 1, 20, 2.0)),
            lambda p: (_f("acompressor", options(threshold=float(p["threshold"]), ratio=float(p["ratio"]))),),
        ),
        e("normalize", "Normalize", A, "audio", (), lambda p: (_f("dynaudnorm"),)),
        e(
            "denoise",
            "Denoise",
            A,
            "audio",
            (num("reduction", 0.01, 97, 12.0),),
            lambda p: (_f("afftdn", options(nr=float(p["reduction"]))),),
        ),
        e("pitch", "Pitch", A, "audio", (num("semitones", -12, 12, 0.0),), _pitch),
        e(
            "tempo",
            "Tempo",
            A,
            "audio",
            (num("value", 0.5, 2, 1.0),),
            lambda p: (_f("atempo", options(tempo=float(p["value"]))),),
        ),
        e(
            "ducking",
            "Ducking",
            A,
            "audio",
            (num("amount", 0, 1, 0.5, "how far the level is lowered"),),
            # Without a side-chain input this is a fixed duck; a side-chain needs the mix graph.
            lambda p: (_f("volume", options(volume=1 - float(p["amount"]))),),
        ),
        e(
            "pan",
            "Pan",
            A,
            "audio",
            (num("value", -1, 1, 0.0, "-1 left .. 1 right"),),
            lambda p: (_f("stereotools", options(balance_out=float(p["value"]))),),
        ),
    ]


def _pitch(p: Mapping[str, Any]) -> tuple[Filter, ...]:
    ratio = 2 ** (float(p["semitones"]) / 12)
    # asetrate changes pitch and tempo; atempo restores the tempo; the rate goes back via aresample.
    rate = int(p.get("_sample_rate", 48000))
    return (
        _f("asetrate", options(r=round(rate * ratio))),
        _f("aresample", str(rate)),
        _f("atempo", options(tempo=min(max(1 / ratio, 0.5), 2.0))),
    )
