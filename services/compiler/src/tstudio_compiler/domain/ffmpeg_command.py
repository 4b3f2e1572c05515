"""The plan as an `ffmpeg` command line a user can run by hand: every segment's graph in one
filter_complex, joined with `concat`, plus the whole-timeline audio mix."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from svckit.errors import FailedPrecondition

from tstudio_compiler.domain import speed_ramp
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.colour_management import encoder_tags
from tstudio_compiler.domain.encoding import EncodeSettings
from tstudio_compiler.domain.filtergraph import Chain, Filter, Graph, number, options
from tstudio_compiler.domain.plan import InputSpec, RenderPlan

# Text is rasterised by the service; the command reads the rasterised picture from this path.
TextImage = Callable[[InputSpec], str]


def ffmpeg_args(
    plan: RenderPlan, encode: EncodeSettings, text_image: TextImage, ffmpeg: str = "ffmpeg"
) -> list[str]:
    # Plugin effects and transitions run on decoded frames inside the service: no command could
    # reproduce them, and a command silently without them would misstate the render.
    plugged = sorted({t for s in plan.segments for i in s.graph.inputs for t in i.plugin_types()})
    if plugged:
        raise FailedPrecondition(
            f"plugin effects and transitions have no ffmpeg equivalent: {', '.join(plugged)}",
            reason="NOT_EXPRESSIBLE_IN_FFMPEG",
        )
    if any(i.kind in ("shape", "luma", "nested") for s in plan.segments for i in s.graph.inputs):
        raise FailedPrecondition(
            "shape masks, luma wipes and nested timelines are made by the service and have no ffmpeg "
            "equivalent yet",
            reason="NOT_EXPRESSIBLE_IN_FFMPEG",
        )
    args = [ffmpeg, "-hide_banner", "-y"]
    parts: list[str] = []
    index = 0
    seg_outputs = []
    for segment in plan.segments:
        prefix = f"s{segment.index}_"
        rename = {}
        for spec in segment.graph.inputs:
            args += _input_args(spec, plan, text_image)
            label = prefix + spec.label
            parts.append(Chain((f"{index}:v",), _normalise(spec), label).render())
            rename[spec.label] = label
            index += 1
        for chain in segment.graph.graph.chains:
            for output in chain.outputs:
                rename.setdefault(output, prefix + output)
            for label in chain.inputs:
                rename.setdefault(label, prefix + label)
        parts.append(Graph(segment.graph.graph.chains).render(rename))
        seg_outputs.append(prefix + "out")
    if len(seg_outputs) > 1:
        concat = Filter("concat", options(n=len(seg_outputs), v=1, a=0))
        parts.append(Chain(tuple(seg_outputs), (concat,), "vout").render())
    else:
        parts.append(Chain(tuple(seg_outputs), (Filter("null"),), "vout").render())
    has_audio = bool(encode.audio_encoder)
    if has_audio:
        layout = "stereo" if plan.channels == 2 else "mono"
        for audio in plan.audio:
            args += [
                "-ss",
                number(audio.source_in),
                "-t",
                number(audio.source_out - audio.source_in),
                "-i",
                audio.path,
            ]
            parts.append(
                Chain(
                    (f"{index}:a",),
                    (
                        # The standard downmix matrix, normalised: never above full scale.
                        Filter("aresample", f"{plan.sample_rate}:rematrix_maxval=1"),
                        Filter("aformat", options(sample_fmts="fltp", channel_layouts=layout)),
                        Filter("asetpts", "PTS-STARTPTS"),
                    ),
                    audio.label,
                ).render()
            )
            index += 1
        parts.append(plan.audio_graph().render())
    graph = ";".join(parts)
    args += ["-filter_complex", graph, "-map", "[vout]"]
    if has_audio:
        args += ["-map", "[aout]"]
    args += ["-c:v", encode.video_encoder, "-pix_fmt", encode.pix_fmt, "-r", number(plan.fps)]
    for key, value in encode.options.items():
        args += [f"-{key}", value]
    # Tagged as encoded: the graph wrote "out" in this range and matrix.
    for key, value in encoder_tags(plan.colour).items():
        args += [f"-{key}", value]
    if encode.bit_rate:
        args += ["-b:v", str(encode.bit_rate)]
    if has_audio:
        args += ["-c:a", encode.audio_encoder, "-ar", str(plan.sample_rate)]
        if encode.audio_bit_rate:
            args += ["-b:a", str(encode.audio_bit_rate)]
    if encode.container_format in ("mp4", "mov"):
        args += ["-movflags", "+faststart"]
    args += ["-f", encode.container_format, plan.output.path or "out.mp4"]
    return args


def shell_command(args: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in args)


def _input_args(spec: InputSpec, plan: RenderPlan, text_image: TextImage) -> list[str]:
    seconds = number(spec.frames / plan.fps + 1 / plan.fps)
    # The graph turns pictures upright itself (rotation is in the plan), so the CLI must not.
    decoder = ["-c:v", spec.decoder] if spec.decoder else []
    if spec.kind == "video" and spec.freeze:
        return ["-noautorotate", *decoder, "-ss", number(spec.source_in), "-i", spec.path]
    if spec.kind == "video" and spec.reverse:
        span = number((spec.clip_frames + 2) / plan.fps * spec.speed)
        return ["-noautorotate", *decoder, "-ss", number(spec.source_in), "-t", span, "-i", spec.path]
    if spec.kind == "video":
        span = number(
            spec.source_time(spec.first_frame + spec.frames + 2) - spec.source_time(spec.first_frame)
        )
        start = number(spec.source_time(spec.first_frame))
        return ["-noautorotate", *decoder, "-ss", start, "-t", span, "-i", spec.path]
    if spec.kind == "captions" or (spec.kind == "text" and spec.clip_frames):
        # An animated text: its frames as a numbered PNG sequence.
        return ["-framerate", number(plan.fps), "-start_number", "0", "-i", text_image(spec)]
    if spec.kind in ("image", "text"):
        path = spec.path if spec.kind == "image" else text_image(spec)
        return ["-noautorotate", "-loop", "1", "-framerate", number(plan.fps), "-t", seconds, "-i", path]
    # In RGB(A), converted into the working colour by name in the graph (as the service makes it).
    pix_fmt = "rgba" if _transparent(spec) else "rgb24"
    color = f"color=c={spec.color}:s={spec.width}x{spec.height}:r={number(plan.fps)},format={pix_fmt}"
    return ["-f", "lavfi", "-t", seconds, "-i", color]


def _normalise(spec: InputSpec) -> tuple[Filter, ...]:
    """Turn an input into what the executor feeds: one frame per output frame, clip-local pts."""
    out: list[Filter] = []
    if spec.kind == "video" and spec.freeze:
        out += [Filter("trim", "end_frame=1"), Filter("loop", "loop=-1:size=1")]
        out.append(Filter("settb", f"1/{number(spec.fps)}"))
    elif spec.kind == "video" and spec.reverse:
        speed = "" if spec.speed == 1 else f"/{number(spec.speed)}"
        out.append(Filter("setpts", f"(PTS-STARTPTS){speed}"))
        out.append(Filter("fps", options(fps=number(spec.fps))))
        out.append(Filter("trim", options(end_frame=spec.clip_frames)))
        out.append(Filter("reverse"))
        end = spec.first_frame + spec.frames
        out.append(Filter("trim", options(start_frame=spec.first_frame, end_frame=end)))
        out.append(Filter("setpts", f"N+{spec.first_frame}"))
        return tuple(out)
    elif spec.kind == "video":
        if spec.ramp is not None:
            # Timeline seconds from source seconds: the ramp's integral, inverted as a lookup.
            curve = speed_ramp.timeline_of(spec.ramp, spec.first_frame, spec.frames, spec.fps)
            source = re.sub(r"\bS\b", "((PTS-STARTPTS)*TB)", curve)
            out.append(Filter("setpts", f"({source})/TB"))
        else:
            speed = "" if spec.speed == 1 else f"/{number(spec.speed)}"
            out.append(Filter("setpts", f"(PTS-STARTPTS){speed}"))
        out.append(Filter("fps", options(fps=number(spec.fps))))
    else:
        out.append(Filter("settb", f"1/{number(spec.fps)}"))
    if spec.kind == "color" and not spec.rgb and not _transparent(spec):
        # (The service makes an RGB output's colours in RGB, and a transparent colour in RGBA.)
        out.append(
            Filter(
                "scale",
                options(out_range=spec.color_range or "tv", out_color_matrix=spec.color_matrix or "bt709"),
            )
        )
        out.append(Filter("format", "yuv420p"))
    out.append(Filter("trim", options(end_frame=spec.frames)))
    out.append(Filter("setpts", f"N+{spec.first_frame}"))
    return tuple(out)


def _transparent(spec: InputSpec) -> bool:
    """A colour input with alpha (the compositor's transparent canvas): fed as RGBA, as its frames are."""
    rgba = parse_color(spec.color.replace("0x", "#"))
    return rgba is not None and rgba[3] != 255
