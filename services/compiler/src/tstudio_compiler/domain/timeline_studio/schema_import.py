"""Timeline Studio's `ProjectSchema` (src/types/video-compiler.ts in the frontend) as our `Project`.

The result is our project in its proto3 JSON form, the notes on what was approximated, and a map
from our field paths back to the frontend's, so that a later validation failure names the field the
frontend sent. Whatever cannot be rendered yet is refused with the frontend field's path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from tstudio_compiler.domain.timeline_studio.effect_map import OurEffect, map_effect, map_filter
from tstudio_compiler.domain.timeline_studio.export_settings import export_output
from tstudio_compiler.domain.timeline_studio.layout import Cell, place_in_cell
from tstudio_compiler.domain.timeline_studio.reader import Problems, Reader
from tstudio_compiler.domain.timeline_studio.subtitles import subtitle_clip

# (field path in the frontend's schema, resolved file path) -> the source's display size, or None.
SourceSize = Callable[[str, str], tuple[int, int] | None]

_DIRECTIONS = {"left", "right", "up", "down"}
# Transitions whose xfade form has a direction: frontend name -> xfade prefix.
_DIRECTED = {"slide": "slide", "push": "cover", "wipe-horizontal": "wipe", "wipe-vertical": "wipe"}
# Our clip fields under their frontend names, for paths in later errors.
_CLIP_FIELDS = {
    "source.path": "source_path",
    "start": "start_time",
    "duration": "end_time",
    "source_in": "source_start",
    "source_out": "source_end",
}


@dataclass
class ImportResult:
    project: dict[str, Any]
    notes: list[tuple[str, str]]
    # (our path prefix, the frontend's path prefix), longest first when looked up.
    paths: list[tuple[str, str]] = field(default_factory=list)

    def frontend_path(self, ours: str) -> str:
        """The frontend field a path of our project came from (itself when nothing maps it)."""
        for prefix, theirs in sorted(self.paths, key=lambda p: -len(p[0])):
            if ours == prefix or ours.startswith(prefix + ".") or ours.startswith(prefix + "["):
                rest = ours[len(prefix) :].lstrip(".")
                if theirs.endswith("]") and "clips[" in theirs:
                    rest = _CLIP_FIELDS.get(rest, rest)
                return f"{theirs}.{rest}" if rest and not rest.startswith("[") else theirs + rest
        return ours


class SchemaRefused(Exception):
    """The schema holds what cannot be rendered (yet) or is malformed: every (path, why)."""

    def __init__(self, refused: list[tuple[str, str]]) -> None:
        super().__init__(f"{refused[0][0]}: {refused[0][1]}")
        self.refused = refused


@dataclass
class _ClipRef:
    track: int  # our track index
    clip: dict[str, Any]
    path: str  # the frontend's `tracks[i].clips[j]`


def import_project_schema(
    schema: Mapping[str, Any],
    *,
    base_dir: str,
    output_path: str,
    transitions: Collection[str],
    source_size: SourceSize,
) -> ImportResult:
    """Translate a ProjectSchema; raises `SchemaRefused` naming every field that cannot be rendered.

    `transitions` are our transition names (catalog names and aliases); `source_size` measures the
    sources of multi-camera cells (the only place the translation needs a file)."""
    problems = Problems()
    root = Reader(schema, "", problems)
    result = ImportResult(project={}, notes=problems.notes)
    timeline = root.child("timeline")
    size = timeline.pair("resolution") or (1920.0, 1080.0)
    frame = (round(size[0]), round(size[1]))
    fps = timeline.number("fps", 30.0)
    settings = {
        "width": frame[0],
        "height": frame[1],
        "fps": fps,
        "sampleRate": round(timeline.number("sample_rate", 48000)),
    }
    for ours, theirs in (
        ("settings.width", "timeline.resolution[0]"),
        ("settings.height", "timeline.resolution[1]"),
        ("settings.fps", "timeline.fps"),
        ("settings.sample_rate", "timeline.sample_rate"),
        ("output", "settings.export"),
    ):
        result.paths.append((ours, theirs))
    name = root.child("metadata").string("name") or "Timeline Studio project"
    effects = {e.string("id"): e for e in root.items("effects")}
    filters = {f.string("id"): f for f in root.items("filters")}
    cells = _cells(root, problems)
    tracks: list[dict[str, Any]] = []
    refs: dict[str, _ClipRef] = {}
    video_tracks = 0
    for track in root.items("tracks"):
        kind = track.string("track_type", required=True)
        if kind == "Subtitle":
            problems.note(track.path, "subtitle tracks are drawn from `subtitles`")
            continue
        if kind not in ("Video", "Audio"):
            problems.refuse(track.at("track_type"), "must be Video, Audio or Subtitle")
            continue
        our_kind = "TRACK_KIND_" + (
            "AUDIO" if kind == "Audio" else ("VIDEO" if video_tracks == 0 else "OVERLAY")
        )
        video_tracks += kind == "Video"
        our_track: dict[str, Any] = {"id": track.string("id") or track.path, "kind": our_kind, "clips": []}
        volume = track.number("volume", 1.0)
        if not 0 <= volume <= 10:
            problems.refuse(track.at("volume"), "must be within 0..10")
        our_track["volume"] = volume
        if not track.boolean("enabled", True):
            our_track["muted"] = True
            problems.note(track.at("enabled"), "a disabled track is muted (its pictures stay)")
        ti = len(tracks)
        track_effects = track.strings("effects")
        track_filters = track.strings("filters")
        for clip in track.items("clips"):
            ci = len(our_track["clips"])
            our_clip = _clip(clip, base_dir, problems)
            _apply_effects(
                our_clip,
                clip.strings("effects") + track_effects,
                effects,
                kind,
                problems,
                result,
                f"tracks[{ti}].clips[{ci}]",
            )
            _apply_filters(our_clip, clip.strings("filters") + track_filters, filters, kind, problems)
            _place(our_clip, clip, cells, frame, base_dir, source_size, problems)
            if clip.has("style_template_id"):
                problems.refuse(
                    clip.at("style_template_id"), "style templates (intros, titles) are not rendered yet"
                )
            our_track["clips"].append(our_clip)
            result.paths.append((f"tracks[{ti}].clips[{ci}]", clip.path))
            refs[our_clip["id"]] = _ClipRef(ti, our_clip, clip.path)
        tracks.append(our_track)
    _join(root, refs, tracks, transitions, fps, problems, result)
    subtitles = [c for c in (subtitle_clip(s, frame, problems) for s in root.items("subtitles")) if c]
    if subtitles:
        ti = len(tracks)
        tracks.append(
            {
                "id": "subtitles",
                "kind": "TRACK_KIND_TEXT",
                "clips": sorted(subtitles, key=lambda c: c["start"]),
            }
        )
        order = {c["id"]: i for i, c in enumerate(tracks[-1]["clips"])}
        for si, sub in enumerate(root.items("subtitles")):
            if sub.string("id") in order:
                result.paths.append((f"tracks[{ti}].clips[{order[sub.string('id')]}]", f"subtitles[{si}]"))
    output = export_output(root.child("settings").child("export"), output_path, problems)
    if problems.refused:
        raise SchemaRefused(problems.refused)
    result.project = {"name": name, "settings": settings, "tracks": tracks, "output": output}
    if base_dir:
        result.project["baseDir"] = base_dir
    return result


def _clip(clip: Reader, base_dir: str, problems: Problems) -> dict[str, Any]:
    """Times and sound of one clip. The timeline span governs its length; the source plays from
    `source_start` at `speed` (the frontend's `source_end` defaults to the clip's length, not a trim)."""
    path = clip.string("source_path", required=True)
    if clip.has("source_path") and not path:
        problems.refuse(clip.at("source_path"), "is required")
    start, end = clip.number("start_time", required=True), clip.number("end_time", required=True)
    if start < 0:
        problems.refuse(clip.at("start_time"), "must not be negative")
    if end <= start:
        problems.refuse(clip.at("end_time"), "must be after start_time")
    speed = clip.number("speed", 1.0)
    if not 0.1 <= speed <= 16:
        problems.refuse(clip.at("speed"), "must be within 0.1..16")
    source_start = clip.number("source_start", 0.0)
    if source_start < 0:
        problems.refuse(clip.at("source_start"), "must not be negative")
    volume = clip.number("volume", 1.0)
    if not 0 <= volume <= 10:
        problems.refuse(clip.at("volume"), "must be within 0..10")
    ours: dict[str, Any] = {
        "id": clip.string("id") or clip.path,
        "source": {"path": path},
        "start": start,
        "duration": max(0.0, end - start),
        "sourceIn": source_start,
    }
    if speed != 1:
        ours["speed"] = speed
    if volume != 1:
        ours["volume"] = volume
    return ours


def _apply_effects(
    ours: dict[str, Any],
    ids: list[tuple[str, str]],
    effects: Mapping[str, Reader],
    track_kind: str,
    problems: Problems,
    result: ImportResult,
    our_path: str,
) -> None:
    video: list[OurEffect] = []
    audio: list[OurEffect] = []
    for path, effect_id in ids:
        effect = effects.get(effect_id)
        if effect is None:
            problems.refuse(path, f"no effect with id {effect_id!r} in `effects`")
            continue
        if not effect.boolean("enabled", True):
            problems.note(effect.path, "disabled: not applied")
            continue
        if effect.string("ffmpeg_command"):
            problems.refuse(effect.at("ffmpeg_command"), "custom FFmpeg commands are not run")
            continue
        params = effect.data.get("parameters") or {}
        if not isinstance(params, Mapping):
            problems.refuse(effect.at("parameters"), "must be an object")
            continue
        mapped = map_effect(effect.string("effect_type", required=True), params, effect.path, problems)
        if mapped.video and track_kind == "Audio":
            problems.refuse(path, "a picture effect on an audio track")
            continue
        for e in mapped.video:
            result.paths.append((f"{our_path}.effects[{len(video)}]", effect.path))
            video.append(e)
        for e in mapped.audio:
            result.paths.append((f"{our_path}.audio_effects[{len(audio)}]", effect.path))
            audio.append(e)
    if video:
        ours["effects"] = [{"type": t, "params": p} for t, p in video]
    if audio:
        ours["audioEffects"] = [{"type": t, "params": p} for t, p in audio]


def _apply_filters(
    ours: dict[str, Any],
    ids: list[tuple[str, str]],
    filters: Mapping[str, Reader],
    track_kind: str,
    problems: Problems,
) -> None:
    for path, filter_id in ids:
        flt = filters.get(filter_id)
        if flt is None:
            problems.refuse(path, f"no filter with id {filter_id!r} in `filters`")
            continue
        if track_kind == "Audio":
            problems.refuse(path, "a picture filter on an audio track")
            continue
        if not flt.boolean("enabled", True):
            problems.note(flt.path, "disabled: not applied")
            continue
        if flt.string("ffmpeg_command"):
            problems.refuse(flt.at("ffmpeg_command"), "custom FFmpeg commands are not run")
            continue
        raw = flt.data.get("parameters") or {}
        if not isinstance(raw, Mapping):
            problems.refuse(flt.at("parameters"), "must be an object")
            continue
        params = dict(raw)
        intensity = params.pop("intensity", None)
        if intensity is None:
            intensity = flt.data.get("intensity", 1.0)
        if isinstance(intensity, bool) or not isinstance(intensity, int | float) or not 0 <= intensity <= 1:
            problems.refuse(flt.at("intensity"), "must be within 0..1")
            continue
        mapped = map_filter(params, float(intensity), flt.path, problems)
        ours.setdefault("effects", []).extend({"type": t, "params": p} for t, p in mapped)


def _cells(root: Reader, problems: Problems) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for template in root.items("templates"):
        cells = []
        for cell in template.items("cells"):
            box = [cell.number(k, required=True) for k in ("x", "y", "width", "height")]
            if not all(0 <= v <= 100 for v in box) or box[2] <= 0 or box[3] <= 0:
                problems.refuse(cell.path, "x, y, width and height must be within 0..100 (width, height > 0)")
            fit = cell.string("fit_mode", "Cover")
            if fit not in ("Contain", "Cover", "Fill"):
                problems.refuse(cell.at("fit_mode"), "must be Contain, Cover or Fill")
            scale = cell.number("scale", 1.0)
            if not 0 < scale <= 10:
                problems.refuse(cell.at("scale"), "must be within 0..10")
            x, y, width, height = box
            cells.append(
                Cell(
                    x,
                    y,
                    width,
                    height,
                    fit,
                    cell.string("align_x", "Center"),
                    cell.string("align_y", "Center"),
                    scale,
                )
            )
        out[template.string("id")] = cells
    return out


def _place(
    ours: dict[str, Any],
    clip: Reader,
    cells: Mapping[str, list[Cell]],
    frame: tuple[int, int],
    base_dir: str,
    source_size: SourceSize,
    problems: Problems,
) -> None:
    template_id = clip.string("template_id")
    if not template_id:
        return
    template = cells.get(template_id)
    if template is None:
        problems.refuse(clip.at("template_id"), f"no template with id {template_id!r} in `templates`")
        return
    index = round(clip.number("template_cell", 0))
    if not 0 <= index < len(template):
        problems.refuse(clip.at("template_cell"), f"the template has {len(template)} cells")
        return
    cell = template[index]
    path = ours["source"]["path"]
    measured = source_size(clip.at("source_path"), path) if path else None
    if measured is None:
        return  # the path problem is reported by the size probe or by validation
    if (
        cell.fit == "Fill"
        and abs(measured[0] / measured[1] - cell.width * frame[0] / (cell.height * frame[1])) > 0.01
    ):
        problems.note(clip.at("template_cell"), "Fill is drawn as Cover (the picture keeps its shape)")
        cell = Cell(cell.x, cell.y, cell.width, cell.height, "Cover", cell.align_x, cell.align_y, cell.scale)
    transform, crop = place_in_cell(cell, measured, frame)
    ours["transform"] = transform
    if crop:
        ours["crop"] = crop


def _transition_type(transition: Reader, transitions: Collection[str], problems: Problems) -> str:
    name = transition.string("transition_type", required=True)
    params = transition.child("parameters")
    direction = params.string("direction").lower() if isinstance(params.data.get("direction"), str) else ""
    if name in _DIRECTED and direction in _DIRECTIONS:
        directed = _DIRECTED[name] + direction
        if directed in transitions:
            return directed
    if name not in transitions:
        problems.refuse(transition.at("transition_type"), f"{name!r} is not rendered yet")
    return name


def _join(
    root: Reader,
    refs: Mapping[str, _ClipRef],
    tracks: list[dict[str, Any]],
    transitions: Collection[str],
    fps: float,
    problems: Problems,
    result: ImportResult,
) -> None:
    """Each transition onto its `to` clip. Our clips overlap by the transition; clips the frontend
    laid end to end get the `from` clip extended by the transition into its source."""
    half_frame = 0.5 / fps if fps > 0 else 0.02
    for transition in root.items("transitions"):
        kind = _transition_type(transition, transitions, problems)
        duration_field = transition.data.get("duration")
        if isinstance(duration_field, Mapping):
            duration = transition.child("duration").number("current", required=True)
        else:
            duration = transition.number("duration", required=True)
        if duration <= 0:
            problems.refuse(transition.at("duration"), "must be positive")
            continue
        before, after = refs.get(transition.string("from_clip_id")), refs.get(transition.string("to_clip_id"))
        if before is None or after is None:
            which = "from_clip_id" if before is None else "to_clip_id"
            problems.refuse(transition.at(which), "names no clip of a Video or Audio track")
            continue
        clips = tracks[after.track]["clips"]
        position = clips.index(after.clip)
        if before.track != after.track or position == 0 or clips[position - 1] is not before.clip:
            problems.refuse(
                transition.at("to_clip_id"), "must be the clip right after from_clip_id on its track"
            )
            continue
        overlap = before.clip["start"] + before.clip["duration"] - after.clip["start"]
        if abs(overlap) <= half_frame:
            before.clip["duration"] += duration
            problems.note(
                transition.path,
                f"{before.path} is extended by {duration:g} s into its source for the transition",
            )
        elif abs(overlap - duration) > half_frame:
            problems.refuse(
                transition.at("duration"), f"the clips overlap by {overlap:.3f} s, not {duration:g} s"
            )
            continue
        after.clip["transition"] = {"type": kind, "duration": duration}
        our = f"tracks[{after.track}].clips[{position}].transition"
        result.paths.append((our, transition.path))
