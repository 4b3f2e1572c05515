"""Every problem of a project at once, each with its field path (`tracks[0].clips[2].speed`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from svckit.did_you_mean import suggestion

from tstudio_compiler.domain import effect_motion, keyframes, text_rules
from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.colour_management import check_output_colour
from tstudio_compiler.domain.compositing_validation import check_compositing
from tstudio_compiler.domain.effects import EffectCatalog, EffectKind
from tstudio_compiler.domain.model import Clip, EffectSpec, Project, TrackKind
from tstudio_compiler.domain.number_rules import number_violations
from tstudio_compiler.domain.params import check_params
from tstudio_compiler.domain.text_rules import captions_rules
from tstudio_compiler.domain.timing import clip_length
from tstudio_compiler.domain.transitions import TransitionCatalog

CONTAINERS = ("mp4", "mov", "mkv", "webm", "gif", "apng", "webp", "png")
VIDEO_CODECS = ("h264", "hevc", "vp9", "av1", "prores", "gif", "apng", "webp", "png")
AUDIO_CODECS = ("", "none", "aac", "opus", "mp3", "pcm")
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


@dataclass(frozen=True)
class Limits:
    """Configurable bounds (COMPILER_MAX_* settings)."""

    max_tracks: int = 32
    max_clips_per_track: int = 500
    max_width: int = 7680
    max_height: int = 4320
    max_fps: float = 120.0
    max_duration: float = 6 * 3600.0
    # Not a validation bound: the longest segment the planner makes (0 = cut at clip edges only).
    max_segment_seconds: float = 10.0
    # Every decoded or rasterised picture (COMPILER_MAX_PICTURE_PIXELS), checked before allocation.
    max_picture_pixels: int = 40_000_000


@dataclass(frozen=True)
class Catalogs:
    effects: EffectCatalog
    transitions: TransitionCatalog


def validate(
    project: Project,
    catalogs: Catalogs,
    limits: Limits,
    durations: Mapping[str, float] | None = None,
) -> list[tuple[str, str]]:
    """(field path, why) for every violation; empty when the project can render.

    `durations` (source path -> seconds, 0 for still images) enables the checks that depend on source
    lengths: clips that run past their source, overlaps with clips whose end is the source's end.
    """
    v: list[tuple[str, str]] = number_violations(
        project, limits.max_duration, limits.max_width, limits.max_height
    )
    _check_settings(project, limits, v)
    _check_output(project, v)
    if not project.tracks:
        v.append(("tracks", "a project needs at least one track"))
    if len(project.tracks) > limits.max_tracks:
        v.append(("tracks", f"at most {limits.max_tracks} tracks"))
    seen: set[str] = set()
    fps = project.settings.fps if project.settings.fps > 0 else 30.0
    for ti, track in enumerate(project.tracks):
        tp = f"tracks[{ti}]"
        if track.kind is TrackKind.UNSPECIFIED:
            v.append((f"{tp}.kind", "must be VIDEO, OVERLAY, AUDIO or TEXT"))
        if len(track.clips) > limits.max_clips_per_track:
            v.append((f"{tp}.clips", f"at most {limits.max_clips_per_track} clips per track"))
        if not 0 <= track.volume <= 10:
            v.append((f"{tp}.volume", "must be within 0..10"))
        previous: tuple[Clip, float | None] | None = None
        for ci, clip in enumerate(track.clips):
            cp = f"{tp}.clips[{ci}]"
            if not clip.id:
                v.append((f"{cp}.id", "is required"))
            elif clip.id in seen:
                v.append((f"{cp}.id", f"duplicate clip id {clip.id!r}"))
            seen.add(clip.id)
            source_duration = durations.get(clip.source.path) if durations and clip.source.path else None
            length = _check_clip(clip, cp, track.kind, catalogs, source_duration, v)
            # Clips on overlay, text and audio tracks may overlap freely (they stack or mix); on a
            # video track only a transition may overlap two clips.
            if track.kind is TrackKind.VIDEO or clip.transition is not None:
                _check_join(clip, cp, previous, length, fps, catalogs, v)
            previous = (clip, length)
    check_compositing(project, v)
    return v


def _check_settings(project: Project, limits: Limits, v: list[tuple[str, str]]) -> None:
    s = project.settings
    for name, value, top in (("width", s.width, limits.max_width), ("height", s.height, limits.max_height)):
        if not 16 <= value <= top:
            v.append((f"settings.{name}", f"must be within 16..{top}"))
        elif value % 2:
            v.append((f"settings.{name}", "must be even (4:2:0 video)"))
    if not 1 <= s.fps <= limits.max_fps:
        v.append(("settings.fps", f"must be within 1..{limits.max_fps:g}"))
    if not 8000 <= s.sample_rate <= 192000:
        v.append(("settings.sample_rate", "must be within 8000..192000"))
    if s.channels not in (1, 2):
        v.append(("settings.channels", "must be 1 or 2"))
    if s.background_color and parse_color(s.background_color) is None:
        v.append(("settings.background_color", "must be a colour like #rrggbb"))


def _check_output(project: Project, v: list[tuple[str, str]]) -> None:
    o = project.output
    if o.container not in CONTAINERS:
        v.append(("output.container", f"must be one of {', '.join(CONTAINERS)}"))
    if o.video_codec not in VIDEO_CODECS:
        v.append(("output.video_codec", f"must be one of {', '.join(VIDEO_CODECS)}"))
    if o.audio_codec.lower() not in AUDIO_CODECS:
        v.append(("output.audio_codec", "must be aac, opus, mp3, pcm or none"))
    if not 0 <= o.quality <= 100:
        v.append(("output.quality", "must be within 1..100"))
    if o.preset and o.preset not in PRESETS:
        v.append(("output.preset", f"must be one of {', '.join(PRESETS)}"))
    if o.crf is not None and not 0 <= o.crf <= 63:
        v.append(("output.crf", "must be within 0..63"))
    if o.video_bitrate < 0:
        v.append(("output.video_bitrate", "must not be negative"))
    if o.audio_bitrate < 0:
        v.append(("output.audio_bitrate", "must not be negative"))
    for name, value in (("width", o.width), ("height", o.height)):
        if value and (value < 16 or value % 2):
            v.append((f"output.{name}", "must be an even size of at least 16, or 0"))
    if o.fps and not 1 <= o.fps <= 120:
        v.append(("output.fps", "must be within 1..120, or 0"))
    v.extend(check_output_colour(o))


def _check_clip(
    clip: Clip,
    cp: str,
    kind: TrackKind,
    catalogs: Catalogs,
    source_duration: float | None,
    v: list[tuple[str, str]],
) -> float | None:
    src = clip.source.kind
    if src == "none":
        v.append((f"{cp}.source", "needs a path, text or color"))
    elif kind is TrackKind.AUDIO and src != "media":
        v.append((f"{cp}.source", "an audio track plays media files only"))
    if clip.source.captions is not None:
        v.extend(captions_rules(clip.source.captions, f"{cp}.source.captions", kind))
    if src == "color" and parse_color(clip.source.color) is None:
        v.append((f"{cp}.source.color", "must be a colour like #rrggbb"))
    if src == "text" and clip.source.text is not None:
        text = clip.source.text
        if not text.text:
            v.append((f"{cp}.source.text.text", "must not be empty"))
        if not 0 <= text.font_size <= 1000:
            v.append((f"{cp}.source.text.font_size", "must be within 0..1000"))
        for name in ("color", "background_color", "stroke_color"):
            value = getattr(text, name)
            if value and parse_color(value) is None:
                v.append((f"{cp}.source.text.{name}", "must be a colour like #rrggbb"))
    if clip.start < 0:
        v.append((f"{cp}.start", "must not be negative"))
    if clip.source_in < 0:
        v.append((f"{cp}.source_in", "must not be negative"))
    if clip.source_out < 0:
        v.append((f"{cp}.source_out", "must not be negative"))
    elif clip.source_out and clip.source_out <= clip.source_in:
        v.append((f"{cp}.source_out", "must be after source_in"))
    # source_out past the media's end: source_ranges.check_source_ranges (FAILED_PRECONDITION).
    if source_duration and clip.source_in >= source_duration:
        v.append((f"{cp}.source_in", f"is past the end of the source ({source_duration:.3f} s)"))
    if clip.duration < 0:
        v.append((f"{cp}.duration", "must not be negative"))
    if not 0.1 <= clip.speed <= 16:
        v.append((f"{cp}.speed", "must be within 0.1..16"))
    if not 0 <= clip.volume <= 10:
        v.append((f"{cp}.volume", "must be within 0..10"))
    if not 0 <= clip.opacity <= 1:
        v.append((f"{cp}.opacity", "must be within 0..1"))
    length = clip_length(clip, source_duration) if clip.speed > 0 else None
    if length is not None and length <= 0 and clip.duration >= 0:
        what = "duration" if src != "media" or source_duration == 0 else "source_out"
        v.append((f"{cp}.{what}", "the clip has no length on the timeline"))
    for name in ("fade_in", "fade_out"):
        if getattr(clip, name) < 0:
            v.append((f"{cp}.{name}", "must not be negative"))
    if length and clip.fade_in + clip.fade_out > length + 1e-6:
        v.append((f"{cp}.fade_out", "fade_in + fade_out is longer than the clip"))
    t = clip.transform
    for name, value in (("x", t.x), ("y", t.y)):
        if value is not None and not -1 <= value <= 2:
            v.append((f"{cp}.transform.{name}", "must be within -1..2 (0..1 is on screen)"))
    if t.scale is not None and not 0 < t.scale <= 10:
        v.append((f"{cp}.transform.scale", "must be within 0..10"))
    c = clip.crop
    for name in ("left", "top", "right", "bottom"):
        if not 0 <= getattr(c, name) < 1:
            v.append((f"{cp}.crop.{name}", "must be within 0..1"))
    if c.left + c.right >= 1:
        v.append((f"{cp}.crop.right", "left + right must leave some picture"))
    if c.top + c.bottom >= 1:
        v.append((f"{cp}.crop.bottom", "top + bottom must leave some picture"))
    _check_effects(clip.effects, f"{cp}.effects", EffectKind.VIDEO, catalogs, v)
    _check_effects(clip.audio_effects, f"{cp}.audio_effects", EffectKind.AUDIO, catalogs, v)
    v.extend(keyframes.check(clip.animations, f"{cp}.animations", kind is TrackKind.AUDIO))
    v.extend(effect_motion.check(clip.animations, clip.effects, catalogs.effects, f"{cp}.animations"))
    if clip.source.text is not None:
        v.extend(text_rules.check(clip.source.text, f"{cp}.source.text", length))
    if kind is TrackKind.AUDIO and clip.effects:
        v.append((f"{cp}.effects", "an audio clip takes audio_effects only"))
    return length


def _check_effects(
    effects: tuple[EffectSpec, ...], path: str, kind: EffectKind, catalogs: Catalogs, v: list[tuple[str, str]]
) -> None:
    for ei, effect in enumerate(effects):
        ep = f"{path}[{ei}]"
        definition = catalogs.effects.get(effect.type)
        if definition is None:
            near = suggestion(effect.type, [e.type for e in catalogs.effects.all() if e.kind is kind])
            v.append((f"{ep}.type", f"unknown effect {effect.type!r}{near}"))
            continue
        if definition.kind is not kind:
            v.append((f"{ep}.type", f"{effect.type!r} is a {definition.kind.name.lower()} effect"))
            continue
        v.extend(check_params(definition.params, effect.params, f"{ep}.params"))


def _check_join(
    clip: Clip,
    cp: str,
    previous: tuple[Clip, float | None] | None,
    length: float | None,
    fps: float,
    catalogs: Catalogs,
    v: list[tuple[str, str]],
) -> None:
    half_frame = 0.5 / fps
    tr = clip.transition
    if tr is not None:
        definition = catalogs.transitions.get(tr.type)
        if definition is None:
            near = suggestion(tr.type, catalogs.transitions.names())
            v.append((f"{cp}.transition.type", f"unknown transition {tr.type!r}{near}"))
        elif definition.origin != "builtin":
            # Built-in transitions have always ignored params; a plugin's are its contract.
            v.extend(check_params(definition.params, tr.params, f"{cp}.transition.params"))
        if tr.duration <= 0:
            v.append((f"{cp}.transition.duration", "must be positive"))
        if previous is None:
            v.append((f"{cp}.transition", "the first clip of a track has nothing to join"))
    if previous is None:
        return
    prev, prev_length = previous
    if clip.start + half_frame < prev.start:
        v.append((f"{cp}.start", "clips on a track must be in timeline order"))
        return
    if prev_length is None:
        return
    overlap = prev.start + prev_length - clip.start
    if tr is not None and tr.duration > 0:
        if abs(overlap - tr.duration) > half_frame:
            v.append(
                (
                    f"{cp}.transition.duration",
                    f"the clip overlaps the previous one by {max(overlap, 0):.3f} s, not {tr.duration:g} s",
                )
            )
        elif tr.duration > prev_length + half_frame or (
            length is not None and tr.duration > length + half_frame
        ):
            v.append((f"{cp}.transition.duration", "longer than one of the clips it joins"))
    elif overlap > half_frame:
        v.append((f"{cp}.start", f"overlaps the previous clip by {overlap:.3f} s without a transition"))
