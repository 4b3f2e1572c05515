"""ProjectSchema objects shaped the way Timeline Studio's frontend builds them
(`timelineToProjectSchema` + `ProjectSchemaBuilder`, src/types/video-compiler.ts): facts about its
protocol, written out by hand for the tests."""

from __future__ import annotations

from typing import Any


def schema(**overrides: Any) -> dict[str, Any]:
    """An empty project as `createEmptyProject` makes it, with `overrides` on top."""
    base: dict[str, Any] = {
        "version": "1.0.0",
        "metadata": {
            "name": "Untitled Project",
            "created_at": "2026-12-04T20:00:00.000Z",
            "modified_at": "2026-12-04T20:00:00.000Z",
        },
        "timeline": {
            "duration": 0,
            "fps": 30,
            "resolution": [1920, 1080],
            "sample_rate": 48000,
            "aspect_ratio": "Ratio16x9",
        },
        "tracks": [],
        "effects": [],
        "transitions": [],
        "filters": [],
        "templates": [],
        "style_templates": [],
        "subtitles": [],
        "settings": {
            "export": {
                "format": "Mp4",
                "quality": 85,
                "video_bitrate": 8000,
                "audio_bitrate": 192,
                "hardware_acceleration": True,
                "ffmpeg_args": [],
            },
            "preview": {"resolution": [1280, 720], "fps": 30, "quality": 75},
            "custom": {},
        },
    }
    base.update(overrides)
    return base


def track(track_id: str, track_type: str, clips: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": track_id,
        "track_type": track_type,
        "name": f"{track_type} Track",
        "enabled": True,
        "locked": False,
        "volume": 1.0,
        "clips": clips,
        "effects": [],
        "filters": [],
        **extra,
    }


def clip(
    clip_id: str, path: str, start: float, end: float, source_start: float = 0.0, **extra: Any
) -> dict[str, Any]:
    return {
        "id": clip_id,
        "source_path": path,
        "start_time": start,
        "end_time": end,
        "source_start": source_start,
        "source_end": source_start + (end - start),
        "speed": 1.0,
        "volume": 1.0,
        "effects": [],
        "filters": [],
        **extra,
    }


def vertical_split(template_id: str, screens: int) -> dict[str, Any]:
    """A multi-camera template as `convertTemplates` makes it for `split: "vertical"`."""
    width = 100 / screens
    cells = [
        {
            "index": i,
            "x": i * width,
            "y": 0,
            "width": width,
            "height": 100,
            "fit_mode": "Cover",
            "align_x": "Center",
            "align_y": "Center",
        }
        for i in range(screens)
    ]
    return {
        "id": template_id,
        "template_type": "Vertical",
        "name": template_id,
        "screens": screens,
        "cells": cells,
    }


def subtitle(
    sub_id: str, text: str, start: float, end: float, animations: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A subtitle with `createDefaultSubtitlePosition` and `createDefaultSubtitleStyle`."""
    return {
        "id": sub_id,
        "text": text,
        "start_time": start,
        "end_time": end,
        "position": {
            "x": 50.0,
            "y": 85.0,
            "align_x": "Center",
            "align_y": "Bottom",
            "margin": {"top": 20.0, "right": 20.0, "bottom": 20.0, "left": 20.0},
        },
        "style": {
            "font_family": "Arial",
            "font_size": 24.0,
            "font_weight": "Normal",
            "color": "#FFFFFF",
            "stroke_color": "#000000",
            "stroke_width": 2.0,
            "shadow_color": "#000000",
            "shadow_x": 2.0,
            "shadow_y": 2.0,
            "shadow_blur": 4.0,
            "background_opacity": 0.8,
            "padding": {"top": 8.0, "right": 12.0, "bottom": 8.0, "left": 12.0},
            "border_radius": 4.0,
            "line_height": 1.2,
            "letter_spacing": 0.0,
            "max_width": 80.0,
        },
        "enabled": True,
        "animations": animations or [],
    }


def animation(anim_id: str, kind: str, duration: float) -> dict[str, Any]:
    return {
        "id": anim_id,
        "animation_type": kind,
        "duration": duration,
        "easing": "Ease",
        "delay": 0,
        "direction": "Right",
    }


def transition(
    transition_id: str, kind: str, from_clip: str, to_clip: str, duration: float, **params: Any
) -> dict[str, Any]:
    return {
        "id": transition_id,
        "transition_type": kind,
        "name": kind,
        "tags": [],
        "duration": {"min": 0.3, "max": 3.0, "default": duration, "current": duration},
        "start_time": 0,
        "from_clip_id": from_clip,
        "to_clip_id": to_clip,
        "parameters": params,
    }


def effect(effect_id: str, effect_type: str, **parameters: Any) -> dict[str, Any]:
    return {
        "id": effect_id,
        "effect_type": effect_type,
        "name": effect_type,
        "enabled": True,
        "parameters": parameters,
    }


def filter_(filter_id: str, filter_type: str, **parameters: float) -> dict[str, Any]:
    return {
        "id": filter_id,
        "filter_type": filter_type,
        "name": filter_id,
        "enabled": True,
        "parameters": parameters,
    }
