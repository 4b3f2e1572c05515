"""Field checks for issue 19's timeline and output fields, each violation with its field path."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tstudio_compiler.domain.colors import parse_color
from tstudio_compiler.domain.compositing import (
    ANCHORS,
    BLEND_MODES,
    FITS,
    GIF_DITHERS,
    MASK_MODES,
    SHAPES,
    Mask,
)
from tstudio_compiler.domain.model import Clip, Project, TrackKind
from tstudio_compiler.domain.platform_presets import PLATFORM_PRESETS
from tstudio_compiler.domain.sources import SourceInfo

# Reverse decodes the trimmed range backwards GOP by GOP and buffers the clip's sound: longer
# source ranges are refused (docs/compositing.md).
MAX_REVERSE_SECONDS = 600.0
# `img%04d.png`: a printf-style image sequence pattern.
SEQUENCE = re.compile(r"%0?\d*d")
# Containers that can carry an alpha channel, and the codecs that write one there.
ALPHA_OUTPUTS = {
    ("mov", "prores"),
    ("webm", "vp9"),
    ("mkv", "vp9"),
    ("mkv", "prores"),
    ("apng", "apng"),
    ("png", "png"),
}
# Not animated WebP: FFmpeg's libwebp_anim crops each frame to what changed and its muxer then
# writes no alpha flag, so viewers show the transparent background opaque.


def check_compositing(project: Project, v: list[tuple[str, str]]) -> None:
    """Appends (field path, why) for every issue-19 field that cannot render."""
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            cp = f"tracks[{ti}].clips[{ci}]"
            _check_clip(clip, cp, track.kind, v)
            following = track.clips[ci + 1] if ci + 1 < len(track.clips) else None
            joined = clip.transition is not None or (
                following is not None and following.transition is not None
            )
            if joined and clip.blend_mode not in ("", "normal"):
                v.append((f"{cp}.blend_mode", "not supported yet on a clip joined by a transition"))
            if joined and clip.mask is not None:
                v.append((f"{cp}.mask", "not supported yet on a clip joined by a transition"))
    _check_markers(project, v)
    _check_output(project, v)


def compositing_files(clip: Clip, cp: str) -> list[tuple[str, str]]:
    """(field path, path as written) of the pictures a clip reads besides its source."""
    out = []
    if clip.mask is not None and clip.mask.path:
        out.append((f"{cp}.mask.path", clip.mask.path))
    tr = clip.transition
    if tr is not None and tr.type == "luma" and isinstance(tr.params.get("path"), str) and tr.params["path"]:
        out.append((f"{cp}.transition.params.path", str(tr.params["path"])))
    return out


def wipe_violations(files: Mapping[str, str], sources: Mapping[str, SourceInfo]) -> list[tuple[str, str]]:
    """Luma wipes read one still image (a wipe video is not supported yet)."""
    return [
        (field, "must be an image (a wipe video is not supported yet)")
        for field, path in files.items()
        if field.endswith(".transition.params.path") and not sources[path].is_image
    ]


def _check_clip(clip: Clip, cp: str, kind: TrackKind, v: list[tuple[str, str]]) -> None:
    src = clip.source
    if src.nested == "project_path" and not src.project_path.endswith(".json"):
        v.append((f"{cp}.source.project_path", "must be a project file (.json)"))
    if src.nested:
        if clip.source_in:
            v.append((f"{cp}.source_in", "a nested timeline plays from its start (trim its end only)"))
        if clip.speed != 1:
            v.append((f"{cp}.speed", "a nested timeline plays at speed 1"))
        if clip.reverse or clip.freeze_at is not None:
            v.append((f"{cp}.reverse" if clip.reverse else f"{cp}.freeze_at", "not for a nested timeline"))
    if src.fps and not src.path:
        v.append((f"{cp}.source.fps", "only an image sequence (a path) takes a frame rate"))
    elif src.fps and not 1 <= src.fps <= 240:
        v.append((f"{cp}.source.fps", "must be within 1..240"))
    if clip.fit and clip.fit not in FITS:
        v.append((f"{cp}.fit", f"must be one of {', '.join(FITS)}"))
    if clip.fit_anchor and clip.fit_anchor not in ANCHORS:
        v.append((f"{cp}.fit_anchor", f"must be one of {', '.join(ANCHORS)}"))
    if clip.blend_mode and clip.blend_mode not in BLEND_MODES:
        v.append((f"{cp}.blend_mode", f"must be one of {', '.join(BLEND_MODES)}"))
    if kind is TrackKind.AUDIO:
        for name in ("fit", "blend_mode", "mask"):
            if getattr(clip, name):
                v.append((f"{cp}.{name}", "an audio clip has no picture"))
        if clip.freeze_at is not None:
            v.append((f"{cp}.freeze_at", "an audio clip has no picture to hold"))
    if clip.freeze_at is not None:
        if src.kind != "media":
            v.append((f"{cp}.freeze_at", "only a media source has frames to hold"))
        elif not clip.freeze_at >= 0:
            v.append((f"{cp}.freeze_at", "must not be negative"))
        elif clip.duration <= 0:
            v.append((f"{cp}.duration", "a freeze frame needs a duration"))
        if clip.reverse:
            v.append((f"{cp}.reverse", "a freeze frame cannot also play backwards"))
    if clip.reverse:
        if src.kind != "media":
            v.append((f"{cp}.reverse", "only a media source plays backwards"))
        elif clip.source_out > 0 and clip.source_out - clip.source_in > MAX_REVERSE_SECONDS:
            v.append((f"{cp}.reverse", f"reverse plays at most {MAX_REVERSE_SECONDS:g} s of source"))
    if clip.mask is not None:
        _check_mask(clip.mask, f"{cp}.mask", v)
    tr = clip.transition
    if tr is not None and tr.type == "luma":
        path = tr.params.get("path", "")
        if not isinstance(path, str):
            v.append((f"{cp}.transition.params.path", "must be the path of a greyscale wipe image"))
        softness = tr.params.get("softness", 0.1)
        if isinstance(softness, bool) or not isinstance(softness, int | float) or not 0 <= softness <= 1:
            v.append((f"{cp}.transition.params.softness", "must be a number within 0..1"))


def _check_mask(mask: Mask, mp: str, v: list[tuple[str, str]]) -> None:
    if bool(mask.path) == (mask.shape is not None):
        v.append((mp, "needs exactly one of path or shape"))
    if mask.mode not in MASK_MODES:
        v.append((f"{mp}.mode", f"must be one of {', '.join(MASK_MODES)}"))
    if not 0 <= mask.feather <= 500:
        v.append((f"{mp}.feather", "must be within 0..500 pixels"))
    s = mask.shape
    if s is None:
        return
    sp = f"{mp}.shape"
    if s.type not in SHAPES:
        v.append((f"{sp}.type", f"must be one of {', '.join(SHAPES)}"))
    for name in ("x", "y"):
        if not -1 <= getattr(s, name) <= 2:
            v.append((f"{sp}.{name}", "must be within -1..2 (0..1 is on screen)"))
    for name in ("width", "height"):
        if not 0 < getattr(s, name) <= 4:
            v.append((f"{sp}.{name}", "must be within 0..4 (fractions of the frame), above 0"))
    if not 0 <= s.radius <= 10000:
        v.append((f"{sp}.radius", "must be within 0..10000 pixels"))
    if not 0 <= s.feather <= 500:
        v.append((f"{sp}.feather", "must be within 0..500 pixels"))


def _check_markers(project: Project, v: list[tuple[str, str]]) -> None:
    previous = -1.0
    for mi, marker in enumerate(project.markers):
        if not marker.time >= 0:
            v.append((f"markers[{mi}].time", "must not be negative"))
        elif marker.time <= previous:
            v.append((f"markers[{mi}].time", "markers must be in increasing time order"))
        previous = marker.time
        if len(marker.title) > 512:
            v.append((f"markers[{mi}].title", "at most 512 characters"))
    if project.markers and project.output.container not in ("mp4", "mov", "mkv"):
        v.append(("markers", "chapters are written into mp4, mov and mkv outputs only"))


def _check_output(project: Project, v: list[tuple[str, str]]) -> None:
    o = project.output
    sequence_out = bool(SEQUENCE.search(o.path.rsplit("/", 1)[-1]))
    if (o.container == "png") != sequence_out or (o.container == "png" and o.video_codec != "png"):
        v.append(
            ("output.path", "a PNG sequence is written to a numbered pattern (frames/f%04d.png), png only")
        )
    if o.platform_preset and o.platform_preset not in PLATFORM_PRESETS:
        v.append(("output.platform_preset", f"must be one of {', '.join(PLATFORM_PRESETS)}"))
    g = o.gif
    if g.dither not in GIF_DITHERS:
        v.append(("output.gif.dither", f"must be one of {', '.join(GIF_DITHERS)}"))
    if not -1 <= g.loop <= 65535:
        v.append(("output.gif.loop", "must be within -1..65535 (0 loops forever, -1 plays once)"))
    if g.fps and not 1 <= g.fps <= 50:
        v.append(("output.gif.fps", "must be within 1..50, or 0"))
    if g.width and not 16 <= g.width <= 4096:
        v.append(("output.gif.width", "must be within 16..4096, or 0"))
    background = parse_color(project.settings.background_color) or (0, 0, 0, 255)
    if background[3] < 255 and (o.container, o.video_codec) not in ALPHA_OUTPUTS:
        v.append(
            (
                "settings.background_color",
                f"a transparent background needs an output that carries alpha "
                f"(mov+prores, webm+vp9); {o.container}+{o.video_codec} cannot",
            )
        )
