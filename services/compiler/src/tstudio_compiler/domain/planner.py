"""Compiles a validated project into a render plan.

The timeline is cut into segments wherever the set of visible clips changes; each segment is a small
filter graph over the clips visible in it (later tracks on top, transitions as `xfade`). A plugin
transition is one input of its segment's graph instead: the plan describes it (the two clips' own
graphs, the plugin, its params) and the executor makes its frames. Audio is one mix over the whole
timeline. The same graphs feed the PyAV executor and the ffmpeg command.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tstudio_compiler.domain import effect_motion, keyframes, motion_filters, speed_ramp
from tstudio_compiler.domain.colors import ffmpeg_color, parse_color
from tstudio_compiler.domain.colour_management import HD, OutputColour, output_colour
from tstudio_compiler.domain.colour_management import picture_size as colour_picture_size
from tstudio_compiler.domain.colour_management import source_filters as colour_source_filters
from tstudio_compiler.domain.colour_management import to_working as colour_to_working
from tstudio_compiler.domain.compositing import SEQUENCE_BASE_FPS, graph_format, source_length
from tstudio_compiler.domain.compositing_graph import (
    apply_matte,
    blend_over,
    full_frame_rgba,
    luma_transition,
    mask_source,
    matte,
)
from tstudio_compiler.domain.effects import EffectCatalog
from tstudio_compiler.domain.filtergraph import Chain, Filter, Graph, number, options
from tstudio_compiler.domain.model import Clip, Project, TrackKind
from tstudio_compiler.domain.motion_filters import ClipMotion
from tstudio_compiler.domain.nested_planning import nested_audio, nested_to_rgb, place_nested
from tstudio_compiler.domain.params import resolve
from tstudio_compiler.domain.plan import (
    AudioInput,
    InputSpec,
    PluginTransition,
    RenderPlan,
    Segment,
    SegmentGraph,
)
from tstudio_compiler.domain.sources import SourceInfo
from tstudio_compiler.domain.timing import clip_length, frame_span, to_frame
from tstudio_compiler.domain.transitions import TransitionCatalog

VISUAL = (TrackKind.VIDEO, TrackKind.OVERLAY, TrackKind.TEXT)


@dataclass(frozen=True)
class Placed:
    """A visual clip on the frame grid."""

    clip: Clip
    track_kind: TrackKind
    start_frame: int
    end_frame: int
    # "video", "image", "text" or "color"
    kind: str
    path: str
    # Probed picture size of media sources (0 when unknown).
    width: int = 0
    height: int = 0
    # How the source must be shown (rotation, aspect, colour, alpha); None for non-media clips.
    info: SourceInfo | None = None
    # A picture mask's resolved path and kind ("video" or "image"); empty for none or a shape.
    mask_path: str = ""
    mask_kind: str = ""
    # Source seconds per image2-demuxer second: an image sequence is read at 25 fps, played at its
    # own `source.fps`.
    time_scale: float = 1.0
    # A nested timeline's plan (kind "nested").
    nested: RenderPlan | None = None


@dataclass(frozen=True)
class Join:
    """A transition: `incoming` replaces `outgoing` over `start_frame..end_frame`."""

    outgoing: Placed
    incoming: Placed
    # Empty for a plugin transition, which `type` and `params` then describe.
    xfade: str
    start_frame: int
    end_frame: int
    type: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Layer:
    """What one track shows during a segment: one clip, or two joined by a transition."""

    clip: Placed
    join: Join | None = None


def resolve_path(path: str, base_dir: str) -> str:
    """Relative paths are relative to the project's base_dir."""
    if not path:
        return ""
    expanded = os.path.expanduser(path)
    if os.path.isabs(expanded) or not base_dir:
        return os.path.normpath(expanded)
    return os.path.normpath(os.path.join(base_dir, expanded))


def effective_size(project: Project) -> tuple[int, int, float]:
    out, s = project.output, project.settings
    return (out.width or s.width, out.height or s.height, out.fps or s.fps)


class Planner:
    def __init__(
        self, effects: EffectCatalog, transitions: TransitionCatalog, max_segment_seconds: float = 0.0
    ) -> None:
        """`max_segment_seconds` > 0 cuts longer stretches into equal segments: more tasks to spread
        over replicas and a finer cache, at the cost of a keyframe (and a source seek) per cut."""
        self._effects = effects
        self._transitions = transitions
        self._max_segment_seconds = max_segment_seconds

    def plan(
        self,
        project: Project,
        sources: Mapping[str, SourceInfo],
        cuts: Iterable[int] = (),
        nested: Mapping[str, RenderPlan] | None = None,
    ) -> RenderPlan:
        """`sources` maps each resolved media path to its probed info; `cuts` are extra frames to
        start a segment at (the edges of a window to render on its own); `nested` the plans of
        nested timelines by clip id (domain/nested.py)."""
        width, height, fps = effective_size(project)
        tracks, joins = self._timeline(project, sources, fps, nested or {})
        visual_end = max((p.end_frame for t in tracks for p in t), default=0)
        audio = self._audio(project, sources, fps, visual_end) + nested_audio(tracks, nested or {}, fps)
        frames = visual_end or max((to_frame(a.start + a.length, fps) for a in audio), default=0)
        audio = tuple(a for a in audio if a.start < frames / fps)
        bounds = {0, frames, *(min(max(cut, 0), frames) for cut in cuts)}
        for t in tracks:
            for p in t:
                bounds.update((min(p.start_frame, frames), min(p.end_frame, frames)))
        edges = _split_long(sorted(bounds), round(self._max_segment_seconds * fps))
        background = ffmpeg_color(project.settings.background_color)
        colour = output_colour(project.output, width, height)
        alpha = (parse_color(project.settings.background_color) or (0, 0, 0, 255))[3] < 255
        out_format = graph_format(project.output.container, project.output.video_codec, alpha)
        segments: list[Segment] = []
        for a, b in itertools.pairwise(edges):
            layers = _layers_at(tracks, joins, a)
            graph = _segment_graph(
                layers, self._effects, width, height, fps, background, a, b - a, colour, out_format
            )
            clip_ids = tuple(cid for layer in layers for cid in _layer_ids(layer))
            segments.append(Segment(len(segments), a, b, clip_ids, graph))
        output = replace(
            project.output, path=resolve_path(project.output.path, project.base_dir), alpha=alpha
        )
        return RenderPlan(
            width=width,
            height=height,
            fps=fps,
            frames=frames,
            sample_rate=project.settings.sample_rate,
            channels=project.settings.channels,
            background=background,
            segments=tuple(segments),
            audio=audio,
            output=output,
            colour=colour,
            markers=project.markers,
        )

    def segment_graph_at(
        self,
        plan: RenderPlan,
        project: Project,
        sources: Mapping[str, SourceInfo],
        frame: int,
        nested: Mapping[str, RenderPlan] | None = None,
    ) -> SegmentGraph:
        """The graph of the segment holding `frame`, fed from that frame only (for previews)."""
        segment = plan.segment_at(frame)
        if segment is None:
            raise ValueError("frame outside the timeline")
        tracks, joins = self._timeline(project, sources, plan.fps, nested or {})
        layers = _layers_at(tracks, joins, segment.start_frame)
        return _segment_graph(
            layers, self._effects, plan.width, plan.height, plan.fps, plan.background, frame, 1, plan.colour
        )

    def _timeline(
        self,
        project: Project,
        sources: Mapping[str, SourceInfo],
        fps: float,
        nested: Mapping[str, RenderPlan],
    ) -> tuple[list[list[Placed]], list[Join]]:
        """Visual clips on the frame grid, per track (bottom first), and the transitions between them."""
        tracks: list[list[Placed]] = []
        joins: list[Join] = []
        for track in project.tracks:
            if track.kind not in VISUAL or track.hidden:
                continue
            placed = [
                place_nested(c, track.kind, nested[c.id], fps, Placed)
                if c.id in nested
                else self._place(c, track.kind, project, sources, fps)
                for c in track.clips
            ]
            # Sound-only files (a cover picture is not video) show what is under them.
            placed = [p for p in placed if p.kind != "none"]
            tracks.append(placed)
            for before, after in itertools.pairwise(placed):
                spec = after.clip.transition
                if spec is not None:
                    definition = self._transitions.get(spec.type)
                    assert definition is not None, "validated before planning"
                    params = resolve(definition.params, spec.params)
                    if definition.type == "luma" and params.get("path"):
                        params = {**params, "path": resolve_path(str(params["path"]), project.base_dir)}
                    joins.append(
                        Join(
                            before,
                            after,
                            definition.xfade,
                            after.start_frame,
                            before.end_frame,
                            definition.type,
                            params,
                        )
                    )
        return tracks, joins

    def _place(
        self, clip: Clip, kind: TrackKind, project: Project, sources: Mapping[str, SourceInfo], fps: float
    ) -> Placed:
        path = resolve_path(clip.source.path, project.base_dir)
        info = sources.get(path)
        if clip.source.kind == "media":
            source_kind = "image" if info is not None and info.is_image else "video"
            if info is not None and not info.has_video:
                source_kind = "none"
        else:
            source_kind = clip.source.kind
        length = clip_length(clip, source_length(clip, info) if info and not info.is_image else None) or 0.0
        start, end = frame_span(clip.start, length, fps)
        width, height = (info.width, info.height) if info is not None else (0, 0)
        mask_path = resolve_path(clip.mask.path, project.base_dir) if clip.mask is not None else ""
        mask_info = sources.get(mask_path) if mask_path else None
        mask_kind = "" if not mask_path else "image" if mask_info is None or mask_info.is_image else "video"
        scale = 1.0
        if info is not None and info.sequence:
            path, scale = info.sequence, (clip.source.fps or SEQUENCE_BASE_FPS) / SEQUENCE_BASE_FPS
        return Placed(
            clip, kind, start, end, source_kind, path, width, height, info, mask_path, mask_kind, scale
        )

    def _audio(
        self, project: Project, sources: Mapping[str, SourceInfo], fps: float, visual_end: int
    ) -> tuple[AudioInput, ...]:
        out: list[AudioInput] = []
        rate = project.settings.sample_rate
        for track in project.tracks:
            if track.muted or track.kind is TrackKind.TEXT:
                continue
            for index, clip in enumerate(track.clips):
                path = resolve_path(clip.source.path, project.base_dir)
                info = sources.get(path)
                if clip.muted or not path or info is None or not info.has_audio or info.is_image:
                    continue
                if clip.freeze_at is not None:
                    continue  # a held frame is silent
                length = clip_length(clip, info.duration) or 0.0
                first, last = frame_span(clip.start, length, fps)
                start, length = first / fps, (last - first) / fps
                if visual_end:
                    length = min(length, visual_end / fps - start)
                if length <= 0:
                    continue
                ramp = keyframes.find(clip.animations, "speed")
                # Reversed sound: the trimmed range backwards, before speed, volume and fades.
                filters: list[Filter] = [Filter("areverse")] if clip.reverse else []
                if not ramp:
                    filters.extend(_atempo(clip.speed))
                volume = clip.volume * track.volume
                animated = keyframes.find(clip.animations, "volume")
                if animated is not None:
                    filters.append(motion_filters.volume(animated, track.volume, fps))
                elif volume != 1.0:
                    filters.append(Filter("volume", options(volume=volume)))
                # Under a transition the sound crossfades with the picture.
                following = track.clips[index + 1] if index + 1 < len(track.clips) else None
                fade_in = max(clip.fade_in, clip.transition.duration if clip.transition else 0.0)
                fade_out = max(
                    clip.fade_out,
                    following.transition.duration if following and following.transition else 0.0,
                )
                if fade_in > 0:
                    filters.append(Filter("afade", options(t="in", st=0.0, d=fade_in)))
                if fade_out > 0:
                    # `length` is what is heard: music longer than the timeline fades where it is cut.
                    filters.append(
                        Filter("afade", options(t="out", st=max(0.0, length - fade_out), d=fade_out))
                    )
                for spec in clip.audio_effects:
                    definition = self._effects.get(spec.type)
                    assert definition is not None and definition.build is not None
                    params = {**resolve(definition.params, spec.params), "_sample_rate": rate}
                    filters.extend(definition.build(params))
                if ramp is not None:
                    source_out = clip.source_in + speed_ramp.offset(ramp, length)
                else:
                    source_out = clip.source_in + length * clip.speed
                out.append(
                    AudioInput(
                        f"a{len(out)}",
                        clip.id,
                        path,
                        clip.source_in,
                        source_out,
                        start,
                        length,
                        tuple(filters),
                        ramp,
                    )
                )
        return tuple(out)


def _split_long(edges: list[int], longest: int) -> list[int]:
    """`edges` with every stretch longer than `longest` frames cut into equal parts (0: no limit)."""
    if longest <= 0:
        return edges
    out = edges[:1]
    for a, b in itertools.pairwise(edges):
        parts = math.ceil((b - a) / longest)
        out.extend(a + round((b - a) * i / parts) for i in range(1, parts + 1))
    return out


def _atempo(speed: float) -> tuple[Filter, ...]:
    """atempo takes 0.5..2 per instance; larger changes are a chain (pitch is kept)."""
    if abs(speed - 1.0) < 1e-9:
        return ()
    out = []
    remaining = speed
    while remaining > 2.0:
        out.append(Filter("atempo", "tempo=2"))
        remaining /= 2.0
    while remaining < 0.5:
        out.append(Filter("atempo", "tempo=0.5"))
        remaining /= 0.5
    out.append(Filter("atempo", options(tempo=remaining)))
    return tuple(out)


def _layers_at(tracks: list[list[Placed]], joins: list[Join], frame: int) -> list[Layer]:
    """Per track, bottom first, its clips visible at `frame` in list order (later on top); a clip
    joined to the one before it by a transition forms one layer with it."""
    layers = []
    for placed in tracks:
        active = [p for p in placed if p.start_frame <= frame < p.end_frame]
        joined = {id(j.outgoing): j for j in joins if j.outgoing in active and j.incoming in active}
        skip: set[int] = set()
        for p in active:
            if id(p) in skip:
                continue
            join = joined.get(id(p))
            if join is not None:
                skip.add(id(join.incoming))
                layers.append(Layer(join.incoming, join))
            else:
                layers.append(Layer(p))
    return layers


def _layer_ids(layer: Layer) -> tuple[str, ...]:
    if layer.join:
        return (layer.join.outgoing.clip.id, layer.join.incoming.clip.id)
    return (layer.clip.clip.id,)


class _GraphBuilder:
    def __init__(
        self,
        effects: EffectCatalog,
        width: int,
        height: int,
        fps: float,
        background: str,
        feed_start: int,
        frames: int,
        colour: OutputColour = HD,
    ) -> None:
        self.effects = effects
        self.colour = colour
        self.w, self.h, self.fps = width, height, fps
        self.rgb = False
        self.background = background
        self.feed_start, self.frames = feed_start, frames
        self.inputs: list[InputSpec] = []
        self.chains: list[Chain] = []
        self._labels = 0

    def label(self, prefix: str = "v") -> str:
        self._labels += 1
        return f"{prefix}{self._labels}"

    def canvas(self) -> str:
        label = f"in{len(self.inputs)}"
        self.inputs.append(
            InputSpec(
                label,
                "",
                "color",
                color=self.background,
                width=self.w,
                height=self.h,
                color_matrix=self.colour.matrix,
                color_range=self.colour.range,
                first_frame=0,
                frames=self.frames,
                fps=self.fps,
                rgb=self.rgb,
            )
        )
        return label

    def source(self, p: Placed, frame_effects: tuple[tuple[str, dict[str, Any]], ...] = ()) -> str:
        label = f"in{len(self.inputs)}"
        c = p.clip
        self.inputs.append(
            InputSpec(
                label,
                c.id,
                p.kind,
                path=p.path,
                color=ffmpeg_color(c.source.color) if p.kind == "color" else "",
                text=c.source.text,
                # Text is laid out against the frame (its picture's budget depends on it).
                width=self.w if p.kind in ("color", "text", "captions") else 0,
                height=self.h if p.kind in ("color", "text", "captions") else 0,
                color_matrix=self.colour.matrix if p.kind == "color" else "",
                color_range=self.colour.range if p.kind == "color" else "",
                decoder=p.info.alpha_decoder if p.info is not None and p.kind == "video" else "",
                first_frame=self.feed_start - p.start_frame,
                frames=self.frames,
                source_in=(c.freeze_at if c.freeze_at is not None else c.source_in) * p.time_scale,
                speed=c.speed * p.time_scale,
                fps=self.fps,
                frame_effects=frame_effects,
                # Animated text and captions are picture sequences; reversed clips count back.
                clip_frames=p.end_frame - p.start_frame if p.kind != "text" or _animated_text(c) else 0,
                captions=c.source.captions,
                reverse=c.reverse and p.kind == "video",
                freeze=c.freeze_at is not None and p.kind == "video",
                rgb=self.rgb and p.kind == "color",
                nested=p.nested,
                ramp=keyframes.find(c.animations, "speed"),
            )
        )
        return label

    def clip(self, p: Placed, full_frame: bool) -> tuple[str, bool, tuple[str, str] | None]:
        """The clip's processed picture: (label, has alpha, overlay position or None for full frame)."""
        c, t = p.clip, p.clip.transform
        m = ClipMotion.of(c.animations)
        length = (p.end_frame - p.start_frame) / self.fps
        media = p.kind in ("video", "image")
        video_track = p.track_kind is TrackKind.VIDEO
        positioned = t.x is not None or t.y is not None or t.scale is not None or bool(t.rotation) or m.moves
        # A clip laid over others fades through transparency (its alpha), never through black.
        fades_over = (c.fade_in > 0 or c.fade_out > 0) and (not video_track or positioned)
        alpha = (
            fades_over
            or p.kind in ("text", "captions")
            or (p.kind == "image" and not video_track)
            or (media and p.info is not None and p.info.has_alpha)
            or c.opacity < 1
            or bool(t.rotation)
            or m.needs_alpha
            or any(s.type == "chroma-key" for s in c.effects)
        )
        largest = motion_filters.largest_scale(m.scale, length, self.fps) if m.scale else t.scale
        scale = largest * self.w if largest is not None else None
        # Upright, square-pixel, cropped, flipped, sized and in the working colour, explicitly.
        f: list[Filter] = list(
            colour_source_filters(
                p.kind,
                p.info,
                c.crop,
                t.flip_horizontal,
                t.flip_vertical,
                self.w,
                self.h,
                scale,
                alpha,
                self.colour,
                c.fit,
                self.rgb,
                c.fit_anchor,
            )
        )
        if p.kind == "nested" and (alpha or self.rgb):
            f[:0] = nested_to_rgb(self.colour, alpha or (p.nested is not None and p.nested.output.alpha))
        # No filters leave a video as decoded: the frame's size only if its fitted size is (a
        # nested timeline is planned at the frame's size, in the working colour already).
        full_size = not f and (p.kind == "nested" or (p.kind == "video" and self.fills(p, scale)))
        frame_effects = []
        for ei, spec in enumerate(c.effects):
            definition = self.effects.get(spec.type)
            assert definition is not None
            params = resolve(definition.params, spec.params)
            if definition.build is None:
                # Plugins run on the decoded frames, before the graph's own filters.
                frame_effects.append((spec.type, params))
                continue
            curves = effect_motion.curves(c.animations, ei)
            if curves:
                instance = f"{self.label('fx')}f{self.feed_start}"
                frames = p.end_frame - p.start_frame
                f.extend(effect_motion.filters(definition.build, params, curves, self.fps, frames, instance))
                continue
            f.extend(definition.build(params))
        if alpha:
            f.append(Filter("format", "rgba"))
        if m.rotation:
            f.append(motion_filters.rotate(m.rotation, self.fps, length))
        elif t.rotation:
            rad = number(t.rotation * math.pi / 180)
            f.append(Filter("rotate", options(a=rad, ow=f"rotw({rad})", oh=f"roth({rad})", c="none")))
        fade_alpha = 1 if alpha else 0
        if c.fade_in > 0:
            f.append(Filter("fade", options(t="in", st=0.0, d=c.fade_in, alpha=fade_alpha)))
        if c.fade_out > 0:
            f.append(
                Filter(
                    "fade", options(t="out", st=max(0.0, length - c.fade_out), d=c.fade_out, alpha=fade_alpha)
                )
            )
        if m.opacity:
            # Unique across the segments that one ffmpeg command holds together.
            instance = f"{self.label('op')}f{self.feed_start}"
            f.extend(motion_filters.opacity(m.opacity, self.fps, instance))
        elif c.opacity < 1:
            f.append(Filter("colorchannelmixer", options(aa=c.opacity)))
        if alpha or (not media and p.kind not in ("color", "nested")):
            f.extend(colour_to_working(self.colour, alpha, self.rgb))
        elif c.effects:
            # Effects may work in RGB (plugins always do): back to the working colour by name.
            f.extend(colour_to_working(self.colour, False, self.rgb))
        if m.scale and largest:
            # Last: the working-colour conversion sizes its output once, at the first frame.
            f.append(motion_filters.rescale(m.scale, largest, self.fps))
        shift = self.feed_start - p.start_frame
        if shift:
            f.append(Filter("setpts", f"PTS-{shift}"))
        # Overlay runs on the segment's clock; the curves are on the clip's.
        clock = f"(t+{number(shift / self.fps + motion_filters.EPSILON)})"
        position = (
            motion_filters.coordinate("W", "w", t.x, m.x, clock, self.fps),
            motion_filters.coordinate("H", "h", t.y, m.y, clock, self.fps),
        )
        if full_frame and not positioned and not alpha:
            if not full_size:
                if self.background.startswith("0x") and len(self.background) == 10:
                    # Transparent bars need an alpha plane.
                    f.append(Filter("format", "rgba" if self.rgb else "yuva420p"))
                f.append(
                    Filter(
                        "pad",
                        options(w=self.w, h=self.h, x="(ow-iw)/2", y="(oh-ih)/2", color=self.background),
                    )
                )
            f.append(Filter("setsar", "1"))
            out = self.label()
            self.chains.append(Chain((self.source(p, tuple(frame_effects)),), tuple(f), out))
            return out, False, None
        out = self.label()
        self.chains.append(Chain((self.source(p, tuple(frame_effects)),), tuple(f), out))
        if not full_frame:
            return out, alpha, position
        flat = self.label()
        self.chains.append(
            Chain(
                (self.canvas(), out),
                (self.overlay(position[0], position[1]), Filter("setsar", "1")),
                flat,
            )
        )
        return flat, False, None

    def fills(self, p: Placed, scale_w: float | None = None) -> bool:
        """Whether a media clip's picture, fitted and cropped, is exactly the frame's size."""
        size = colour_picture_size(p.info, p.clip.crop, self.w, self.h, scale_w, p.clip.fit)
        return size == (self.w, self.h)

    def overlay(self, x: str, y: str) -> Filter:
        """A plain overlay in the working space: planar RGB for an RGB output (overlay's default,
        yuv420, would round its picture through 4:2:0)."""
        return Filter("overlay", options(x=x, y=y, format="gbrp" if self.rgb else None))

    def yuv(self, label: str) -> str:
        """`label` in one named pixel format (4:2:0, or planar RGB for an RGB output)."""
        out = self.label()
        self.chains.append(Chain((label,), (Filter("format", "gbrp" if self.rgb else "yuv420p"),), out))
        return out

    def layer(self, layer: Layer) -> tuple[str, bool, tuple[str, str] | None]:
        if layer.join is None:
            full = layer.clip.track_kind is TrackKind.VIDEO and not _composited(layer.clip.clip)
            return self.clip(layer.clip, full)
        j = layer.join
        if j.type == "luma":
            return luma_transition(self, j), False, None
        if not j.xfade:
            return self.plugin_transition(j), False, None
        # xfade needs one pixel format on both inputs; naming it keeps format negotiation (which
        # differs between FFmpeg versions) from changing the picture.
        a = self.yuv(self.clip(j.outgoing, True)[0])
        b = self.yuv(self.clip(j.incoming, True)[0])
        out = self.label()
        duration = (j.end_frame - j.start_frame) / self.fps
        offset = (j.start_frame - self.feed_start) / self.fps
        xfade = Filter("xfade", options(transition=j.xfade, duration=duration, offset=offset))
        self.chains.append(Chain((a, b), (xfade,), out))
        return out, False, None

    def plugin_transition(self, j: Join) -> str:
        """The plugin's frames as one full-frame input of this graph."""
        label = f"in{len(self.inputs)}"
        first = self.feed_start - j.start_frame
        transition = PluginTransition(
            j.type,
            dict(j.params),
            self.alone(j.outgoing),
            self.alone(j.incoming),
            j.end_frame - j.start_frame,
        )
        # The clip id is the incoming clip's (its `transition` field asked for this); kind tells the
        # executor apart from that clip's own picture.
        self.inputs.append(
            InputSpec(
                label,
                j.incoming.clip.id,
                "transition",
                width=self.w,
                height=self.h,
                first_frame=first,
                frames=self.frames,
                fps=self.fps,
                transition=transition,
            )
        )
        f = list(colour_to_working(self.colour, False, self.rgb))
        if first:
            f.append(Filter("setpts", f"PTS-{first}"))
        f.append(Filter("setsar", "1"))
        out = self.label()
        self.chains.append(Chain((label,), tuple(f), out))
        return out

    def alone(self, p: Placed) -> SegmentGraph:
        """One clip's full-frame picture as a graph of its own, in RGBA (the plugins' frame format)."""
        g = _GraphBuilder(
            self.effects, self.w, self.h, self.fps, self.background, self.feed_start, self.frames, self.colour
        )
        g.rgb = self.rgb
        label, _, _ = g.clip(p, True)
        to_rgba = options(in_range=self.colour.range, in_color_matrix=self.colour.matrix)
        f = (Filter("format", "rgba"),) if g.rgb else (Filter("scale", to_rgba), Filter("format", "rgba"))
        g.chains.append(Chain((label,), f, "out"))
        return SegmentGraph(tuple(g.inputs), Graph(tuple(g.chains)))


def _segment_graph(
    layers: list[Layer],
    effects: EffectCatalog,
    width: int,
    height: int,
    fps: float,
    background: str,
    feed_start: int,
    frames: int,
    colour: OutputColour = HD,
    out_format: str = "yuv420p",
) -> SegmentGraph:
    g = _GraphBuilder(effects, width, height, fps, background, feed_start, frames, colour)
    g.rgb = out_format.startswith("rgb")
    base: str | None = None
    for layer in layers:
        label, alpha, position = g.layer(layer)
        special = layer.join is None and _composited(layer.clip.clip)
        if base is None and position is None and not alpha and not special:
            base = label
            continue
        if base is None:
            base = g.canvas()
        if special:
            base = _composite(g, base, label, alpha, position, layer.clip)
            continue
        x, y = position or ("0", "0")
        out = g.label()
        g.chains.append(Chain((base, label), (g.overlay(x, y),), out))
        base = out
    if base is None:
        base = g.canvas()
    g.chains.append(Chain((base,), (Filter("format", out_format), Filter("setsar", "1")), "out"))
    return SegmentGraph(tuple(g.inputs), Graph(tuple(g.chains)))


def _animated_text(clip: Clip) -> bool:
    text = clip.source.text
    return text is not None and (text.animate_in is not None or text.animate_out is not None)


def _composited(clip: Clip) -> bool:
    """Clips that go through the blend/mask compositor instead of a plain overlay."""
    return clip.blend_mode not in ("", "normal") or clip.mask is not None


def _composite(
    g: _GraphBuilder, base: str, label: str, alpha: bool, position: tuple[str, str] | None, p: Placed
) -> str:
    c, t = p.clip, p.clip.transform
    untransformed = t.x is None and t.y is None and t.scale is None and not t.rotation and c.crop.is_empty
    native = p.kind == "video" and g.fills(p)
    fills = untransformed and (
        native or p.kind == "color" or (c.fit in ("cover", "fill") and p.kind != "text")
    )
    top = full_frame_rgba(g, label, None if fills else position)
    if c.mask is not None:
        top = apply_matte(g, top, matte(g, c.mask, mask_source(g, p)))
    opaque = fills and not alpha and c.mask is None
    return blend_over(g, base, top, c.blend_mode, opaque)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)
