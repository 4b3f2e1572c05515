"""A render segment as a self-contained JSON description: everything that decides its pixels.

Distributed rendering (tstudio_compiler.scale) queues these, keys its segment cache on them (with
the sources' fingerprints) and hands them back to `PyAvSegmentRenderer`, which rebuilds the segment
from the description alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tstudio_compiler.domain.captions import CaptionsSource, CaptionStyle, Cue
from tstudio_compiler.domain.colour_management import HD, OutputColour
from tstudio_compiler.domain.compositing import ShapeMask
from tstudio_compiler.domain.encoding import EncodeSettings
from tstudio_compiler.domain.filtergraph import Chain, Filter, Graph
from tstudio_compiler.domain.keyframes import Animation, Keyframe
from tstudio_compiler.domain.model import OutputSettings, TextSource
from tstudio_compiler.domain.plan import InputSpec, RenderPlan, Segment, SegmentGraph
from tstudio_compiler.domain.text_motion import TextAnimation

# Part of every segment key: bump when the same description would render differently.
# /2: text without a font is drawn with DejaVu Sans (was Pillow's Latin-only default).
ENGINE_VERSION = "tstudio-compiler-pyav/2"


def describe(
    plan: RenderPlan, segment: Segment, encode: EncodeSettings, fingerprints: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """`fingerprints` (file path -> JSON) identify each source file's content in the key."""
    inputs = []
    for spec in segment.graph.inputs:
        entry = dataclasses.asdict(spec)
        entry["frame_effects"] = [[kind, dict(params)] for kind, params in spec.frame_effects]
        if spec.path:
            entry["fingerprint"] = dict(fingerprints.get(spec.path, {}))
        inputs.append(entry)
    return {
        "width": plan.width,
        "height": plan.height,
        "fps": plan.fps,
        "frames": segment.frames,
        "colour": dataclasses.asdict(plan.colour),
        "inputs": inputs,
        "chains": [
            {
                "inputs": list(c.inputs),
                "filters": [
                    [f.name, f.args, f.instance] if f.instance else [f.name, f.args] for f in c.filters
                ],
                "output": c.output,
            }
            for c in segment.graph.graph.chains
        ],
        "encode": {
            "video_encoder": encode.video_encoder,
            "pix_fmt": encode.pix_fmt,
            "options": dict(encode.options),
            "bit_rate": encode.bit_rate,
        },
    }


def text_from_dict(values: Mapping[str, Any]) -> TextSource:
    """A TextSource back from its `dataclasses.asdict` form."""
    fields = dict(values)
    for key in ("animate_in", "animate_out"):
        if fields.get(key):
            fields[key] = TextAnimation(**fields[key])
    return TextSource(**fields)


def captions_from_dict(values: Mapping[str, Any]) -> CaptionsSource:
    return CaptionsSource(
        values["path"],
        CaptionStyle(**values["style"]),
        tuple(
            Cue(**{**cue, "syllables": tuple(tuple(s) for s in cue.get("syllables", ()))})
            for cue in values["cues"]
        ),
        bool(values["loaded"]),
        tuple(values["ignored"]),
    )


def from_description(description: Mapping[str, Any], output_path: str) -> tuple[RenderPlan, EncodeSettings]:
    """A one-segment, picture-only plan that renders the described segment to `output_path`."""
    inputs = []
    for entry in description["inputs"]:
        values = {k: v for k, v in entry.items() if k != "fingerprint"}
        values["text"] = text_from_dict(values["text"]) if values.get("text") else None
        values["captions"] = captions_from_dict(values["captions"]) if values.get("captions") else None
        values["shape"] = ShapeMask(**values["shape"]) if values.get("shape") else None
        ramp = values.get("ramp")
        values["ramp"] = (
            Animation(ramp["property"], tuple(Keyframe(**k) for k in ramp["keyframes"])) if ramp else None
        )
        values["frame_effects"] = tuple(
            (kind, dict(params)) for kind, params in values.get("frame_effects", ())
        )
        inputs.append(InputSpec(**values))
    chains = tuple(
        Chain(tuple(c["inputs"]), tuple(Filter(*named) for named in c["filters"]), c["output"])
        for c in description["chains"]
    )
    frames = int(description["frames"])
    segment = Segment(
        0,
        0,
        frames,
        tuple(s.clip_id for s in inputs if s.clip_id),
        SegmentGraph(tuple(inputs), Graph(chains)),
    )
    e = description["encode"]
    plan = RenderPlan(
        width=int(description["width"]),
        height=int(description["height"]),
        fps=float(description["fps"]),
        frames=frames,
        sample_rate=48000,
        channels=2,
        background="black",
        segments=(segment,),
        audio=(),
        output=OutputSettings(path=output_path, container="mp4", audio_codec="none"),
        colour=OutputColour(**description["colour"]) if "colour" in description else HD,
    )
    encode = EncodeSettings(
        video_encoder=e["video_encoder"],
        pix_fmt=e["pix_fmt"],
        options=dict(e["options"]),
        bit_rate=int(e["bit_rate"]),
        container_format="mp4",
    )
    return plan, encode
