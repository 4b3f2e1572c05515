"""The render plan: what the executor runs and the ffmpeg command builder prints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from tstudio_compiler.domain import keyframes, speed_ramp
from tstudio_compiler.domain.captions import CaptionsSource
from tstudio_compiler.domain.colour_management import HD, OutputColour
from tstudio_compiler.domain.compositing import Marker, ShapeMask
from tstudio_compiler.domain.filtergraph import Chain, Filter, Graph
from tstudio_compiler.domain.keyframes import Animation
from tstudio_compiler.domain.model import OutputSettings, TextSource


@dataclass(frozen=True)
class InputSpec:
    """One picture stream fed into a segment graph, one frame per output frame.

    Frames carry clip-local timestamps (`pts` = frame index since the clip's start, time base 1/fps);
    the graph shifts them to the segment's clock itself.
    """

    label: str
    clip_id: str
    # "video", "image", "text" or "color"
    kind: str
    path: str = ""
    color: str = ""
    text: TextSource | None = None
    width: int = 0
    height: int = 0
    # Clip-local index of the first frame fed, and how many are fed.
    first_frame: int = 0
    frames: int = 0
    # Source seconds at clip-local frame 0, and source seconds per timeline second.
    source_in: float = 0.0
    speed: float = 1.0
    fps: float = 30.0
    # Plugin effects (type, params) applied to each frame before the graph, in order.
    frame_effects: tuple[tuple[str, dict[str, Any]], ...] = ()
    # Kind "transition": the frames a transition plugin makes of two clips (local frame 0 is the
    # transition's first frame).
    transition: PluginTransition | None = None
    # Kind "color": the colour's matrix and range (the working colour).
    color_matrix: str = ""
    color_range: str = ""
    # A decoder other than FFmpeg's default for the source (e.g. "libvpx-vp9", which reads VP9 alpha).
    decoder: str = ""
    # Kind "text" with animateIn/animateOut: the clip's length in frames (0 for a still picture).
    clip_frames: int = 0
    # Kind "captions": the cues and their style (pictures of the frame's size, `width` x `height`).
    captions: CaptionsSource | None = None
    # Issue 19 (domain/compositing.py). `reverse`: the clip's `clip_frames` frames play backwards
    # (local frame 0 shows the range's last frame); `freeze`: every frame is the one at `source_in`;
    # kind "shape": a mask shape rasterised at the output size (grey, white reveals).
    reverse: bool = False
    freeze: bool = False
    shape: ShapeMask | None = None
    # Colour pictures made in RGB rather than 4:2:0: an RGB output (GIF, APNG) keeps them exact.
    rgb: bool = False
    # Kind "luma": the matte of a luma wipe (`path`, an image) over `clip_frames` frames.
    softness: float = 0.0
    # Kind "nested": the nested timeline's own plan, at this plan's size and rate.
    nested: RenderPlan | None = None

    # A speed ramp (keyframed speed): replaces `speed`.
    ramp: Animation | None = None

    def source_time(self, local_frame: int) -> float:
        if self.freeze:
            return self.source_in
        if self.reverse:
            local_frame = self.clip_frames - 1 - local_frame
        if self.ramp is not None:
            return self.source_in + speed_ramp.offset(self.ramp, local_frame / self.fps)
        return self.source_in + local_frame / self.fps * self.speed

    def speed_at(self, local_frame: int) -> float:
        if self.ramp is not None:
            return keyframes.value_at(self.ramp, local_frame / self.fps)
        return self.speed

    def plugin_types(self) -> tuple[str, ...]:
        """Every plugin (`plugin:<id>`) this input's pictures go through, its transition's clips included."""
        own = tuple(kind for kind, _ in self.frame_effects)
        t = self.transition
        if t is None:
            return own
        nested = (spec.plugin_types() for graph in (t.outgoing, t.incoming) for spec in graph.inputs)
        return (*own, t.type, *(kind for kinds in nested for kind in kinds))


@dataclass(frozen=True)
class PluginTransition:
    """Two clips joined by a transition plugin. Each side is a graph of its clip alone (writing "out":
    RGBA, the output size, one frame per frame fed); the plugin blends them at progress
    `local_frame / (frames - 1)`, so the first frame is all `outgoing` and the last all `incoming`."""

    type: str
    params: dict[str, Any]
    outgoing: SegmentGraph
    incoming: SegmentGraph
    # The transition's length in frames.
    frames: int

    def progress(self, local_frame: int) -> float:
        return min(1.0, max(0.0, local_frame / max(1, self.frames - 1)))


@dataclass(frozen=True)
class SegmentGraph:
    inputs: tuple[InputSpec, ...]
    # Reads the inputs' labels, writes "out" (yuv420p, output size).
    graph: Graph


@dataclass(frozen=True)
class Segment:
    index: int
    start_frame: int
    end_frame: int
    # Visible clips, bottom to top.
    clip_ids: tuple[str, ...]
    graph: SegmentGraph

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame

    def cache_key(self) -> str:
        """Content address of the segment: its graph and what feeds it."""
        digest = hashlib.sha256(self.graph.graph.render().encode())
        for spec in self.graph.inputs:
            digest.update(repr(spec).encode())
        return digest.hexdigest()[:32]


@dataclass(frozen=True)
class AudioInput:
    """One clip's sound: source seconds `source_in..source_out`, through `filters`, placed at `start`."""

    label: str
    clip_id: str
    path: str
    source_in: float
    source_out: float
    start: float
    length: float
    filters: tuple[Filter, ...]
    # A speed ramp: the sound is time-stretched along it (adapters/time_stretch.py) before `filters`.
    ramp: Animation | None = None


@dataclass(frozen=True)
class RenderPlan:
    width: int
    height: int
    fps: float
    frames: int
    sample_rate: int
    channels: int
    background: str
    segments: tuple[Segment, ...]
    audio: tuple[AudioInput, ...]
    output: OutputSettings
    # Seconds of the timeline before this plan's first frame (a window): the sound starts there too.
    audio_offset: float = 0.0
    # The output's range, matrix and tags; the graphs write "out" in this colour.
    colour: OutputColour = HD
    # Chapter marks (timeline seconds) written into MP4/MOV/MKV outputs.
    markers: tuple[Marker, ...] = ()

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def window(self, start_frame: int, end_frame: int) -> RenderPlan:
        """The frames `start_frame..end_frame` as a plan of their own, starting at frame 0. The plan
        must have been cut at both edges (`Planner.plan(..., cuts=...)`): segments are
        position-independent, so a window's segments are the whole plan's, renumbered."""
        inside = [s for s in self.segments if start_frame <= s.start_frame and s.end_frame <= end_frame]
        if not inside or inside[0].start_frame != start_frame or inside[-1].end_frame != end_frame:
            raise ValueError(f"the plan is not cut at frames {start_frame} and {end_frame}")
        segments = tuple(
            replace(s, index=i, start_frame=s.start_frame - start_frame, end_frame=s.end_frame - start_frame)
            for i, s in enumerate(inside)
        )
        start, end = start_frame / self.fps, end_frame / self.fps
        audio = tuple(a for a in self.audio if a.start < end and a.start + a.length > start)
        return replace(
            self,
            frames=end_frame - start_frame,
            segments=segments,
            audio=audio,
            audio_offset=self.audio_offset + start,
            markers=(),
        )

    def segment_at(self, frame: int) -> Segment | None:
        for segment in self.segments:
            if segment.start_frame <= frame < segment.end_frame:
                return segment
        return None

    def audio_graph(self) -> Graph:
        """The whole-timeline mix in filtergraph syntax, reading `[<label>]` per audio input."""
        from tstudio_compiler.domain.filtergraph import options

        layout = "stereo" if self.channels == 2 else "mono"
        chains: list[Chain] = []
        for a in self.audio:
            delay = round(a.start * 1000)
            # The command plays a ramp's sound at its mean speed (notes say so): no atempo follows it.
            mean = () if a.ramp is None else (Filter("atempo", options(tempo=_mean_tempo(a))),)
            chains.append(
                Chain(
                    (a.label,),
                    (
                        *mean,
                        *a.filters,
                        Filter("atrim", options(end=a.length)),
                        Filter("adelay", options(delays=delay, all=1)) if delay else Filter("anull"),
                    ),
                    f"{a.label}p",
                )
            )
        if chains:
            mixed = tuple(c.output for c in chains)
            chains.append(
                Chain(
                    mixed,
                    (
                        Filter("amix", options(inputs=len(mixed), normalize=0, duration="longest")),
                        # Bounded padding: an endless apad can keep ffmpeg producing silence.
                        Filter("apad", options(whole_len=round(self.duration * self.sample_rate))),
                        Filter("atrim", options(end=self.duration)),
                        Filter("aformat", options(sample_fmts="fltp", channel_layouts=layout)),
                    ),
                    "aout",
                )
            )
        else:
            chains.append(
                Chain(
                    (),
                    (
                        Filter("anullsrc", options(r=self.sample_rate, cl=layout)),
                        Filter("atrim", options(end=self.duration)),
                    ),
                    "aout",
                )
            )
        return Graph(tuple(chains))


def _mean_tempo(a: AudioInput) -> float:
    return min(2.0, max(0.5, (a.source_out - a.source_in) / a.length if a.length > 0 else 1.0))
