"""The timeline as plain dataclasses, converted from `tstudio.compiler.v1.Project` at the API edge.

Times are seconds on the timeline (or in the source for `source_in`/`source_out`); the planner snaps
them to the output frame grid.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from tstudio_compiler.domain.captions import CaptionsSource
from tstudio_compiler.domain.compositing import GifOptions, Marker, Mask
from tstudio_compiler.domain.keyframes import Animation
from tstudio_compiler.domain.text_motion import TextAnimation


class TrackKind(enum.Enum):
    UNSPECIFIED = 0
    VIDEO = 1
    OVERLAY = 2
    AUDIO = 3
    TEXT = 4


class Acceleration(enum.Enum):
    UNSPECIFIED = 0
    AUTO = 1
    NONE = 2
    REQUIRED = 3


@dataclass(frozen=True)
class TextSource:
    text: str
    font_size: float = 48.0
    color: str = "#ffffff"
    font: str = ""
    background_color: str = ""
    align: str = "center"
    stroke_color: str = ""
    stroke_width: float = 0.0
    # Rich text (docs/motion.md); sizes in pixels of the output frame.
    shadow_color: str = ""
    shadow_x: float = 0.0
    shadow_y: float = 0.0
    shadow_blur: float = 0.0
    letter_spacing: float = 0.0
    # Multiple of the font's line height; 0 means 1.
    line_height: float = 0.0
    # Wrap lines longer than this (0: only at newlines).
    max_width: float = 0.0
    # Box padding (0: a small margin) and corner radius of the background box.
    padding: float = 0.0
    corner_radius: float = 0.0
    animate_in: TextAnimation | None = None
    animate_out: TextAnimation | None = None


@dataclass(frozen=True)
class Source:
    """Exactly one of `path`, `text`, `color`, `captions` is set."""

    path: str = ""
    text: TextSource | None = None
    color: str = ""
    captions: CaptionsSource | None = None
    # Issue 19: a nested timeline ("project": `project` inline; "project_path": a project file)
    # and the rate of an image sequence path.
    nested: str = ""
    fps: float = 0.0
    project: Project | None = None
    project_path: str = ""

    @property
    def kind(self) -> str:
        if self.path:
            return "media"
        if self.text is not None:
            return "text"
        if self.color:
            return "color"
        if self.captions is not None:
            return "captions"
        if self.nested:
            return "project"
        return "none"


@dataclass(frozen=True)
class Transform:
    x: float | None = None
    y: float | None = None
    scale: float | None = None
    rotation: float = 0.0
    flip_horizontal: bool = False
    flip_vertical: bool = False


@dataclass(frozen=True)
class Crop:
    left: float = 0.0
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0

    @property
    def is_empty(self) -> bool:
        return not (self.left or self.top or self.right or self.bottom)


@dataclass(frozen=True)
class EffectSpec:
    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransitionSpec:
    type: str
    duration: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Clip:
    id: str
    source: Source
    start: float = 0.0
    source_in: float = 0.0
    source_out: float = 0.0
    duration: float = 0.0
    speed: float = 1.0
    volume: float = 1.0
    muted: bool = False
    opacity: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    transform: Transform = field(default_factory=Transform)
    crop: Crop = field(default_factory=Crop)
    effects: tuple[EffectSpec, ...] = ()
    audio_effects: tuple[EffectSpec, ...] = ()
    transition: TransitionSpec | None = None
    animations: tuple[Animation, ...] = ()
    # Issue 19 (domain/compositing.py): fit mode, freeze frame, reverse, blend mode, mask.
    fit: str = ""
    freeze_at: float | None = None
    reverse: bool = False
    blend_mode: str = ""
    mask: Mask | None = None
    fit_anchor: str = ""


@dataclass(frozen=True)
class Track:
    id: str
    kind: TrackKind
    clips: tuple[Clip, ...] = ()
    muted: bool = False
    hidden: bool = False
    volume: float = 1.0


@dataclass(frozen=True)
class ProjectSettings:
    width: int = 1920
    height: int = 1080
    fps: float = 30.0
    sample_rate: int = 48000
    background_color: str = "#000000"
    channels: int = 2


@dataclass(frozen=True)
class OutputSettings:
    path: str = ""
    container: str = "mp4"
    video_codec: str = "h264"
    audio_codec: str = "aac"
    quality: int = 0
    preset: str = ""
    crf: int | None = None
    video_bitrate: int = 0
    audio_bitrate: int = 0
    acceleration: Acceleration = Acceleration.UNSPECIFIED
    encoder: str = ""
    width: int = 0
    height: int = 0
    fps: float = 0.0
    # Colour of the output ("" = by size: BT.709 for HD and above, BT.601 for SD); range "tv"/"pc";
    # dynamic range "" / "sdr" (HDR output is not offered yet).
    color_matrix: str = ""
    color_range: str = ""
    dynamic_range: str = ""
    platform_preset: str = ""
    gif: GifOptions = field(default_factory=GifOptions)
    # Set by the planner: the background is transparent and the output keeps alpha.
    alpha: bool = False

    @property
    def has_audio(self) -> bool:
        return self.audio_codec.lower() not in ("", "none")


@dataclass(frozen=True)
class Project:
    name: str = ""
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    tracks: tuple[Track, ...] = ()
    output: OutputSettings = field(default_factory=OutputSettings)
    base_dir: str = ""
    markers: tuple[Marker, ...] = ()
