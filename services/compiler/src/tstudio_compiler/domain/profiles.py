"""Render profiles: `final` renders the output settings as given; `preview` renders the same timeline
small and fast (for scrubbing and prerendered playback) through the same plan, path and cache."""

from __future__ import annotations

import enum
from dataclasses import replace

from tstudio_compiler.domain.model import OutputSettings, Project

# A preview is at most this tall (keeping the timeline's aspect) and never larger than the output.
PREVIEW_HEIGHT = 360
PREVIEW_PRESET = "veryfast"
PREVIEW_CRF = 30
PREVIEW_AUDIO_BITRATE = 96_000


class Profile(enum.Enum):
    FINAL = "final"
    PREVIEW = "preview"


def with_profile(project: Project, profile: Profile) -> Project:
    if profile is Profile.FINAL:
        return project
    return replace(project, output=preview_output(project))


def preview_output(project: Project) -> OutputSettings:
    out, settings = project.output, project.settings
    width, height = out.width or settings.width, out.height or settings.height
    if height > PREVIEW_HEIGHT:
        width, height = round(width * PREVIEW_HEIGHT / height), PREVIEW_HEIGHT
    return replace(
        out,
        width=_even(width),
        height=_even(height),
        preset=PREVIEW_PRESET,
        crf=PREVIEW_CRF,
        quality=0,
        video_bitrate=0,
        audio_bitrate=PREVIEW_AUDIO_BITRATE if out.has_audio else 0,
    )


def _even(value: int) -> int:
    return max(2, value - value % 2)
